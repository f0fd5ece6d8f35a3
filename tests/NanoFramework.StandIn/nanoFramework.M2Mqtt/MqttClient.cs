// Mirrors nanoframework/nanoFramework.m2mqtt at tag v5.1.220: M2Mqtt/MqttClient.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace nanoFramework.M2Mqtt
{
    using System;
    using System.Collections;
    using System.Security.Cryptography.X509Certificates;
    using nanoFramework.M2Mqtt.Messages;

    // Only the members the gateway uses. Upstream raises its events on its own dispatch thread: MqttMsgPublished
    // when the PUBACK of a QoS 1 message arrives (IsPublished = false after its retries failed),
    // MqttMsgPublishReceived for each message on a subscribed topic.
    public class MqttClient : IMqttClient, IDisposable
    {
        public MqttClient(string brokerHostName, int brokerPort, bool secure, X509Certificate caCert, X509Certificate clientCert, MqttSslProtocols sslProtocol) { }

        public bool IsConnected { get { throw new NotImplementedException(); } }

        public event IMqttClient.MqttMsgPublishedEventHandler MqttMsgPublished
        {
            add { throw new NotImplementedException(); }
            remove { throw new NotImplementedException(); }
        }

        public event IMqttClient.MqttMsgPublishEventHandler MqttMsgPublishReceived
        {
            add { throw new NotImplementedException(); }
            remove { throw new NotImplementedException(); }
        }

        public event IMqttClient.ConnectionClosedEventHandler ConnectionClosed
        {
            add { throw new NotImplementedException(); }
            remove { throw new NotImplementedException(); }
        }

        public MqttReasonCode Connect(string clientId, string username, string password, bool willRetain, MqttQoSLevel willQosLevel, bool willFlag, string willTopic, string willMessage, bool cleanSession, ushort keepAlivePeriod)
        {
            throw new NotImplementedException();
        }

        public ushort Publish(string topic, byte[] message, string contentType, ArrayList userProperties, MqttQoSLevel qosLevel, bool retain)
        {
            throw new NotImplementedException();
        }

        public ushort Subscribe(string[] topics, MqttQoSLevel[] qosLevels)
        {
            throw new NotImplementedException();
        }

        public void Disconnect() { throw new NotImplementedException(); }

        public void Close() { throw new NotImplementedException(); }

        public void Dispose() { throw new NotImplementedException(); }
    }
}
