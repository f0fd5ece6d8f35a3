// Mirrors nanoframework/nanoFramework.m2mqtt at tag v5.1.220: nanoFramework.M2Mqtt.Core/Messages/MqttQoSLevel.cs
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
