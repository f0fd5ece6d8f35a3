using Iot.Gateway.Configuration;

namespace Iot.Gateway.Sensors
{
    /// <summary>
    /// Which sensors a configuration reads: the platform's composition root (the ESP32 app, the virtual gateway) hands
    /// one to the runtime, which asks it at boot and again after every configuration it applies.
    /// </summary>
    public interface ISensorComposition
    {
        /// <summary>New, not yet set up components for config; an empty array when the site has none.</summary>
        ISensorComponent[] Compose(GatewayConfig config);
    }
}
