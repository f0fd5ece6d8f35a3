// Mirrors nanoframework/nanoFramework.m2mqtt at tag v5.1.220: nanoFramework.M2Mqtt.Core/Messages/MqttReasonCode.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace nanoFramework.M2Mqtt.Messages
{
    // Only the value the gateway tests for; upstream lists the MQTT 5 reason codes (3.1.1 return codes map onto them).
    public enum MqttReasonCode : byte
    {
        Success = 0x00
    }
}
