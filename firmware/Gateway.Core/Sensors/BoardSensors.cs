using Iot.Contract;
using Iot.Gateway.Configuration;
using Iot.Gateway.Hardware;
using Iot.Gateway.Modbus;
using Iot.Gateway.Telemetry;

namespace Iot.Gateway.Sensors
{
    /// <summary>
    /// The gateway board's sensors as hardware/wiring.md wires them: the site kind's monitor on the RS-485 bus (at a dust
    /// site a PMS5003 on its own UART instead, when the board has one), a dust site's wind speed and direction sensors on
    /// the same bus, and current clamps on a fume site's fan and purifier. The ESP32 app and the virtual gateway compose
    /// with it, each from the links it has; a link left null leaves its sensors out.
    /// </summary>
    public sealed class BoardSensors : ISensorComposition
    {
        private const int MaxComponents = 3;

        private readonly IClock _clock;
        private readonly ISerialLink _meterBus;
        private readonly IAdc _clamps;

        /// <summary>UART of a PMS5003-style particulate sensor; when set, a dust site reads it instead of a Modbus monitor.</summary>
        public ISerialLink ParticulateUart;
        /// <summary>ADC channel of the exhaust fan's current transformer.</summary>
        public int FanAdcChannel = 0;
        /// <summary>ADC channel of the purifier's current transformer.</summary>
        public int PurifierAdcChannel = 1;
        /// <summary>ADC samples per current measurement (whole mains cycles).</summary>
        public int CtSamplesPerBurst = 40;

        /// <summary>The board with its RS-485 meter bus and the ADC of its current clamps (either may be null).</summary>
        public BoardSensors(IClock clock, ISerialLink meterBus, IAdc clamps)
        {
            _clock = clock;
            _meterBus = meterBus;
            _clamps = clamps;
        }

        /// <summary>The components config's site kind reads, with its meter and clamp settings.</summary>
        public ISensorComponent[] Compose(GatewayConfig config)
        {
            var found = new ISensorComponent[MaxComponents];
            int count = 0;
            bool dust = config.Site == SiteKind.Dust;
            if (dust && ParticulateUart != null)
            {
                found[count++] = new ParticulateSensor(ParticulateUart);
            }
            else if (_meterBus != null)
            {
                var master = new ModbusRtuMaster(_meterBus, _clock, config.MeterTimeoutMs, config.MeterRetries);
                found[count++] = new MeterSensor(master, MeterProfiles.ForSite(config.Site), (byte)config.MeterSlave);
            }
            if (dust && _meterBus != null)
            {
                // The wind sensors share the dust monitor's bus at their factory addresses. One attempt each: they are
                // optional, and the dust monitor's retries must keep their time.
                var once = new ModbusRtuMaster(_meterBus, _clock, config.MeterTimeoutMs, 0);
                found[count++] = new OptionalMeterSensor(once, MeterProfiles.WindSpeedSensor(), _clock);
                found[count++] = new OptionalMeterSensor(once, MeterProfiles.WindDirectionSensor(), _clock);
            }
            if (config.Site == SiteKind.Fume && _clamps != null)
            {
                found[count++] = new RunSensor(_clamps, FanAdcChannel, CtSamplesPerBurst, Channel.Fan, config.Fan);
                found[count++] = new RunSensor(_clamps, PurifierAdcChannel, CtSamplesPerBurst, Channel.Pur, config.Purifier);
            }
            var components = new ISensorComponent[count];
            for (int i = 0; i < count; i++) components[i] = found[i];
            return components;
        }
    }
}
