using Iot.Contract;
using Iot.Gateway.Modbus;
using Iot.Gateway.Telemetry;

namespace Iot.Gateway.Sensors
{
    /// <summary>
    /// The site's Modbus monitor (noise transmitter, dust or fume monitor): every register point of its profile each
    /// second; a point that does not arrive is a failed second, named by the Modbus status.
    /// </summary>
    public sealed class MeterSensor : ISensorComponent
    {
        private readonly MeterPoller _poller;

        /// <summary>The meter of profile at slave, asked through master.</summary>
        public MeterSensor(ModbusRtuMaster master, MeterProfile profile, byte slave)
        {
            _poller = new MeterPoller(master, profile, slave);
        }

        /// <summary>The meter's model.</summary>
        public string Name { get { return _poller.Profile.Model; } }

        /// <summary>The profile's warm-up.</summary>
        public int WarmUpSeconds { get { return _poller.Profile.WarmUpSeconds; } }

        /// <summary>Nothing to prepare: the bus belongs to the platform and every read is a whole request.</summary>
        public void Setup()
        {
        }

        /// <summary>Polls the meter and adds the points that arrived.</summary>
        public string Read(MinuteAggregator window)
        {
            bool all = _poller.Poll();
            RegisterPoint[] points = _poller.Profile.Points;
            for (int i = 0; i < points.Length; i++)
            {
                if (!_poller.Valid[i]) continue;
                double v = _poller.Values[i];
                // The transmitter gives one A-weighted level per second: it is that second's Leq and its fast maximum.
                if (points[i].Channel == Channel.Laeq) window.AddNoiseSecond(v, v);
                else window.AddValue(points[i].Channel, v);
            }
            return all ? null : StatusName(_poller.LastStatus);
        }

        /// <summary>Nothing to release.</summary>
        public void Close()
        {
        }

        // Enum names without reflection (nanoFramework has none).
        private static string StatusName(ModbusStatus status)
        {
            switch (status)
            {
                case ModbusStatus.Ok: return "incomplete";
                case ModbusStatus.Timeout: return "timeout";
                case ModbusStatus.CrcError: return "crc_error";
                case ModbusStatus.WrongSlave: return "wrong_slave";
                case ModbusStatus.WrongFunction: return "wrong_function";
                case ModbusStatus.BadFrame: return "bad_frame";
                case ModbusStatus.SlaveException: return "slave_exception";
                default: return "invalid_request";
            }
        }
    }
}
