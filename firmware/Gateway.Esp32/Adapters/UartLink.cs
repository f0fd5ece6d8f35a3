using System.IO.Ports;
using Iot.Gateway.Hardware;

namespace Iot.Gateway.Esp32.Adapters
{
    /// <summary>
    /// ISerialLink over an ESP32 UART, 8N1: the meters' RS-485 bus, or a plain full-duplex port (the installer's
    /// Improv Wi-Fi console). In RS-485 mode the driver raises RTS (wired to the transceiver's DE and /RE) while it
    /// sends and drops it when the last stop bit is out, so the bus is released without managed timing.
    /// Call Configuration.SetPinFunction for the port's TX, RX (and RTS) before constructing it.
    /// </summary>
    public sealed class UartLink : ISerialLink
    {
        private readonly SerialPort _port;
        private readonly IClock _clock;
        private readonly int _baudRate;
        private readonly byte[] _drain = new byte[64];

        /// <summary>Opens portName (e.g. "COM2") at baudRate, 8N1; half duplex with RTS driving the transceiver when rs485.</summary>
        public UartLink(string portName, int baudRate, IClock clock, bool rs485)
        {
            _clock = clock;
            _baudRate = baudRate;
            _port = new SerialPort(portName, baudRate, Parity.None, 8, StopBits.One);
            if (rs485) _port.Mode = SerialMode.RS485;
            _port.Open();
        }

        /// <inheritdoc />
        public int BaudRate
        {
            get { return _baudRate; }
        }

        /// <inheritdoc />
        public void DiscardInput()
        {
            // nanoFramework's SerialPort has no DiscardInBuffer: read what is there and drop it.
            int pending = _port.BytesToRead;
            while (pending > 0)
            {
                _port.Read(_drain, 0, pending < _drain.Length ? pending : _drain.Length);
                pending = _port.BytesToRead;
            }
        }

        /// <inheritdoc />
        public void Write(byte[] buffer, int offset, int count)
        {
            _port.Write(buffer, offset, count);
        }

        /// <inheritdoc />
        public int Read(byte[] buffer, int offset, int count, int timeoutMs)
        {
            // Poll BytesToRead rather than relying on ReadTimeout: SerialPort.Read throws when nothing arrives.
            long deadline = _clock.MonotonicMs + timeoutMs;
            int available = _port.BytesToRead;
            while (available == 0)
            {
                if (_clock.MonotonicMs >= deadline) return 0;
                _clock.Sleep(1);
                available = _port.BytesToRead;
            }
            return _port.Read(buffer, offset, available < count ? available : count);
        }
    }
}
