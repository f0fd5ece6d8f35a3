using Iot.Contract;
using Iot.Gateway.Hardware;
using Iot.Gateway.Particulate;
using Iot.Gateway.Telemetry;

namespace Iot.Gateway.Sensors
{
    /// <summary>
    /// A PMS5003-style particulate sensor on its own UART: it sends a frame about every second; the last whole frame of
    /// the second gives PM10 and PM2.5 (atmospheric), and SilentAfterSeconds without one is a failure.
    /// </summary>
    public sealed class ParticulateSensor : ISensorComponent
    {
        /// <summary>Seconds without a frame after which the sensor counts as silent.</summary>
        public const int SilentAfterSeconds = 3;

        private readonly ISerialLink _uart;
        private readonly byte[] _buffer = new byte[64];
        private readonly Pms5003Parser _parser = new Pms5003Parser();
        private int _quietSeconds;

        /// <summary>The sensor sending on uart.</summary>
        public ParticulateSensor(ISerialLink uart)
        {
            _uart = uart;
        }

        /// <summary>"pms5003".</summary>
        public string Name { get { return "pms5003"; } }

        /// <summary>Stable data 30 s after wake-up (PMS5003 datasheet).</summary>
        public int WarmUpSeconds { get { return 30; } }

        /// <summary>Starts counting silence afresh.</summary>
        public void Setup()
        {
            _quietSeconds = 0;
        }

        /// <summary>Parses what arrived since the last second and adds the newest frame's values.</summary>
        public string Read(MinuteAggregator window)
        {
            int frames = 0;
            int n;
            while ((n = _uart.Read(_buffer, 0, _buffer.Length, 0)) > 0) frames += _parser.Push(_buffer, 0, n);
            if (frames > 0)
            {
                _quietSeconds = 0;
                window.AddValue(Channel.Pm10, _parser.Pm10Atmospheric);
                window.AddValue(Channel.Pm25, _parser.Pm25Atmospheric);
                return null;
            }
            return ++_quietSeconds >= SilentAfterSeconds ? "silent" : null;
        }

        /// <summary>Nothing to release: the UART belongs to the platform.</summary>
        public void Close()
        {
        }
    }
}
