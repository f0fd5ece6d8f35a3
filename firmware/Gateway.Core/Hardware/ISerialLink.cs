namespace Iot.Gateway.Hardware
{
    /// <summary>A half-duplex serial line (RS-485 or UART) to one or more sensors.</summary>
    public interface ISerialLink
    {
        /// <summary>Bits per second; the Modbus master derives its inter-frame silence from it.</summary>
        int BaudRate { get; }

        /// <summary>Throws away anything received but not yet read.</summary>
        void DiscardInput();

        /// <summary>Sends count bytes of buffer starting at offset.</summary>
        void Write(byte[] buffer, int offset, int count);

        /// <summary>Reads up to count bytes, waiting at most timeoutMs for the first one; returns 0 on timeout.</summary>
        int Read(byte[] buffer, int offset, int count, int timeoutMs);
    }
}
