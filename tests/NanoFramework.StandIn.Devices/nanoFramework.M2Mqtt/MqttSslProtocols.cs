// Mirrors nanoframework/nanoFramework.m2mqtt: M2Mqtt/MqttSslProtocols.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace nanoFramework.M2Mqtt
{
    public enum MqttSslProtocols
    {
        None,
        SSLv3,
        TLSv1_0,
        TLSv1_1,
        TLSv1_2
    }
}
