using Iot.Gateway.Telemetry;

namespace Iot.Gateway.Sensors
{
    /// <summary>
    /// One sensor of the site as the runtime drives it, ESPHome style: an ISensorComposition builds it for the
    /// configuration in force, the runtime sets it up, reads it once a second into the open minute, and closes it when a
    /// new configuration replaces it or the device shuts down. The runtime catches what a component throws, so one
    /// failing sensor never keeps the others from being read.
    /// </summary>
    public interface ISensorComponent
    {
        /// <summary>The sensor's name in sensor_fault events (its model, such as "pms5003").</summary>
        string Name { get; }

        /// <summary>Seconds after power-up before its readings are stable; records carry the warm-up bit until the slowest is.</summary>
        int WarmUpSeconds { get; }

        /// <summary>Prepares the first read; when it throws, the runtime tries again the next second and reads nothing before.</summary>
        void Setup();

        /// <summary>Adds this second's readings to the window; returns null when the sensor answered (or may be absent), else why not.</summary>
        string Read(MinuteAggregator window);

        /// <summary>Releases what Setup took; the component is not read again.</summary>
        void Close();
    }
}
