// Mirrors nanoframework/nanoFramework.m2mqtt: M2Mqtt/Messages/MqttQoSLevel.cs (nanoFramework.M2Mqtt.Core)
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace nanoFramework.M2Mqtt.Messages
{
    public enum MqttQoSLevel : byte
    {
        AtMostOnce = 0x00,
        AtLeastOnce = 0x01,
        ExactlyOnce = 0x02
    }
}
