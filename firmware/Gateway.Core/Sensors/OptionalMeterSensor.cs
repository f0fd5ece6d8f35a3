using Iot.Gateway.Hardware;
using Iot.Gateway.Modbus;
using Iot.Gateway.Telemetry;

namespace Iot.Gateway.Sensors
{
    /// <summary>
    /// A Modbus sensor giving channels the site may lack (wire protocol: "optional"), such as a dust site's wind sensors:
    /// a silent one is left out of the record without a fault bit, and is tried again only after RetryMs so that an
    /// absent sensor does not spend each second's bus time on timeouts.
    /// </summary>
    public sealed class OptionalMeterSensor : ISensorComponent
    {
        /// <summary>How long a sensor that did not answer is left alone before the next try.</summary>
        public const int RetryMs = 60000;

        private readonly MeterPoller _poller;
        private readonly IClock _clock;
        private long _nextPollMs;

        /// <summary>The sensor of profile at its factory address, asked through master.</summary>
        public OptionalMeterSensor(ModbusRtuMaster master, MeterProfile profile, IClock clock)
        {
            _poller = new MeterPoller(master, profile, profile.DefaultSlave);
            _clock = clock;
        }

        /// <summary>The sensor's model.</summary>
        public string Name { get { return _poller.Profile.Model; } }

        /// <summary>The profile's warm-up.</summary>
        public int WarmUpSeconds { get { return _poller.Profile.WarmUpSeconds; } }

        /// <summary>Tries the sensor at the first read.</summary>
        public void Setup()
        {
            _nextPollMs = 0;
        }

        /// <summary>Adds the points that arrived; never a failure.</summary>
        public string Read(MinuteAggregator window)
        {
            long nowMs = _clock.MonotonicMs;
            if (nowMs < _nextPollMs) return null;
            if (!_poller.Poll()) _nextPollMs = nowMs + RetryMs;
            RegisterPoint[] points = _poller.Profile.Points;
            for (int i = 0; i < points.Length; i++)
            {
                if (_poller.Valid[i]) window.AddValue(points[i].Channel, _poller.Values[i]);
            }
            return null;
        }

        /// <summary>Nothing to release.</summary>
        public void Close()
        {
        }
    }
}
