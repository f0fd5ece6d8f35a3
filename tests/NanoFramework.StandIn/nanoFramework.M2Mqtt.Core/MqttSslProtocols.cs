// Mirrors nanoframework/nanoFramework.m2mqtt at tag v5.1.220: nanoFramework.M2Mqtt.Core/MqttSslProtocols.cs
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
