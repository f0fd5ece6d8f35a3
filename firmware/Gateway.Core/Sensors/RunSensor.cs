using Iot.Contract;
using Iot.Gateway.Configuration;
using Iot.Gateway.Hardware;
using Iot.Gateway.Power;
using Iot.Gateway.Telemetry;

namespace Iot.Gateway.Sensors
{
    /// <summary>
    /// A current transformer on a fume site's exhaust fan or purifier: each second whether the machine runs, and its
    /// current, into the share channel (fan, pur) and its amps channel. It has no failure of its own to report.
    /// </summary>
    public sealed class RunSensor : ISensorComponent
    {
        private readonly CurrentTransformerChannel _clamp;
        private readonly int _shareChannel;

        /// <summary>The clamp on adcChannel for shareChannel (Channel.Fan or Channel.Pur), calibrated by settings.</summary>
        public RunSensor(IAdc adc, int adcChannel, int samplesPerBurst, int shareChannel, CurrentSensorSettings settings)
        {
            _clamp = new CurrentTransformerChannel(adc, adcChannel, samplesPerBurst, settings.AmpsPerCount, settings.OnAmps, settings.OffAmps);
            _shareChannel = shareChannel;
        }

        /// <summary>The share channel's name ("fan", "pur").</summary>
        public string Name { get { return Channel.Name(_shareChannel); } }

        /// <summary>None: a clamp reads true at once.</summary>
        public int WarmUpSeconds { get { return 0; } }

        /// <summary>Nothing to prepare.</summary>
        public void Setup()
        {
        }

        /// <summary>Measures one burst and adds the second.</summary>
        public string Read(MinuteAggregator window)
        {
            _clamp.Measure();
            window.AddRunSecond(_shareChannel, _clamp.IsRunning, _clamp.Amps);
            return null;
        }

        /// <summary>Nothing to release: the ADC belongs to the platform.</summary>
        public void Close()
        {
        }
    }
}
