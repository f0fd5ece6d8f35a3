using System.IO.Ports;
using Iot.Gateway.Hardware;

namespace Iot.Gateway.Esp32.Adapters
{
    /// <summary>ISerialLink over a plain ESP32 UART (8N1, full duplex): the installer's Improv Wi-Fi port.</summary>
    public sealed class UartLink : ISerialLink
    {
        private readonly SerialPort _port;
        private readonly int _baudRate;
        private readonly byte[] _drain = new byte[64];

        /// <summary>Opens portName (e.g. "COM1") at baudRate, 8N1.</summary>
        public UartLink(string portName, int baudRate)
        {
            _baudRate = baudRate;
            _port = new SerialPort(portName, baudRate, Parity.None, 8, StopBits.One);
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
            // Only polled without waiting (the main loop must not block): SerialPort.Read throws when nothing arrived.
            int available = _port.BytesToRead;
            if (available == 0) return 0;
            return _port.Read(buffer, offset, available < count ? available : count);
        }
    }
}
