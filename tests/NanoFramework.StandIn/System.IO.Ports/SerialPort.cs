// Mirrors nanoframework/System.IO.Ports at tag v1.1.139: System.IO.Ports/SerialPort.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.IO.Ports
{
    // Only the members the gateway uses. Upstream has no DiscardInBuffer: input is drained with Read.
    public sealed class SerialPort : IDisposable
    {
        public SerialPort(string portName, int baudRate = 9600, Parity parity = Parity.None, int dataBits = 8, StopBits stopBits = StopBits.One) { }
        public void Open() { throw new NotImplementedException(); }
        public void Close() { throw new NotImplementedException(); }
        public int BaudRate { get { throw new NotImplementedException(); } set { throw new NotImplementedException(); } }
        /// <summary>nanoFramework only: RS485 raises RTS while sending, which drives the transceiver's DE/RE.</summary>
        public SerialMode Mode { get { throw new NotImplementedException(); } set { throw new NotImplementedException(); } }
        public int BytesToRead { get { throw new NotImplementedException(); } }
        public int Read(byte[] buffer, int offset, int count) { throw new NotImplementedException(); }
        public void Write(byte[] buffer, int offset, int count) { throw new NotImplementedException(); }
        public void Dispose() { throw new NotImplementedException(); }
    }
}
