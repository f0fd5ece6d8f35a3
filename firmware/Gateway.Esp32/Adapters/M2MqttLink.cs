using System;
using Iot.Contract;
using Iot.Gateway.Hardware;
using Iot.Gateway.Telemetry;
using nanoFramework.M2Mqtt.Messages;
using nanoFramework.M2Mqtt;

namespace Iot.Gateway.Esp32.Adapters
{
    /// <summary>
    /// IMqttLink and IMqttInbox over nanoFramework's M2Mqtt client (one session serves both). Connects with client
    /// id = device id, the login the runtime passes (own, configured or bootstrap) and, unless unclaimed, the retained
    /// offline will of the wire protocol. PUBACKs and received messages arrive on
    /// M2Mqtt's own thread and are queued here for the main loop, which polls them. A fresh MqttClient is made for
    /// every connection attempt.
    /// </summary>
    public sealed class M2MqttLink : IMqttLink, IMqttInbox
    {
        private const ushort KeepAliveSeconds = 60;
        private const int AckQueueLength = 16;
        private const int InboxLength = 2;

        private readonly string _host;
        private readonly int _port;
        private readonly bool _useTls;
        private readonly string _deviceId;
        private readonly string _willTopic;
        private readonly string _willMessage;
        private readonly object _sync = new object();
        private readonly int[] _acks = new int[AckQueueLength];
        private int _ackHead;
        private int _ackCount;
        private readonly string[] _inboxTopics = new string[InboxLength];
        private readonly byte[][] _inboxPayloads = new byte[InboxLength][];
        private int _inboxHead;
        private int _inboxCount;
        private MqttClient _client;

        /// <summary>Remembers the broker; nothing is opened until Connect.</summary>
        public M2MqttLink(string host, int port, bool useTls, string deviceId)
        {
            _host = host;
            _port = port;
            _useTls = useTls;
            _deviceId = deviceId;
            _willTopic = new DeviceTopics(deviceId).Status;
            _willMessage = "{\"v\":1,\"dev\":\"" + deviceId + "\",\"online\":false}";
        }

        /// <inheritdoc />
        public bool IsConnected
        {
            get { return _client != null && _client.IsConnected; }
        }

        /// <inheritdoc />
        public bool LoginRefused { get; private set; }

        /// <inheritdoc />
        public bool Connect(string userName, string password, bool will)
        {
            Drop();
            LoginRefused = false;
            MqttClient client = null;
            try
            {
                // With TLS and no CA passed here, the broker is checked against the root CA stored in the
                // device's network configuration (see firmware/Gateway.Esp32/README.md).
                client = new MqttClient(_host, _port, _useTls, null, null, _useTls ? MqttSslProtocols.TLSv1_2 : MqttSslProtocols.None);
                client.MqttMsgPublished += OnPublished;
                client.MqttMsgPublishReceived += OnMessage;
                MqttReasonCode result = client.Connect(_deviceId, userName, password,
                    true, MqttQoSLevel.AtLeastOnce, will, will ? _willTopic : null, will ? _willMessage : null, true, KeepAliveSeconds);
                if (result != MqttReasonCode.Success)
                {
                    // M2Mqtt passes the CONNACK code through: 4/5 in MQTT 3.1.1, 0x86/0x87 in MQTT 5.
                    byte code = (byte)result;
                    LoginRefused = code == 4 || code == 5 || code == 0x86 || code == 0x87;
                    Close(client);
                    return false;
                }
                _client = client;
                return true;
            }
            catch (Exception)
            {
                // DNS, TCP, TLS or protocol failure: the connection supervisor retries with back-off. The half-made
                // client still holds its socket and receive thread: release them, or every retry leaks one.
                if (client != null) Close(client);
                return false;
            }
        }

        /// <inheritdoc />
        public void Disconnect()
        {
            MqttClient client = _client;
            _client = null;
            if (client == null) return;
            try
            {
                client.Disconnect();
                client.Close();
            }
            catch (Exception)
            {
                // Already gone.
            }
        }

        /// <inheritdoc />
        public int Publish(string topic, byte[] payload, int length, bool retain)
        {
            MqttClient client = _client;
            if (client == null || !client.IsConnected) return -1;
            // M2Mqtt sends whole arrays; the core encodes into a shared buffer.
            var message = new byte[length];
            Array.Copy(payload, 0, message, 0, length);
            try
            {
                return client.Publish(topic, message, null, null, MqttQoSLevel.AtLeastOnce, retain);
            }
            catch (Exception)
            {
                return -1;
            }
        }

        /// <inheritdoc />
        public bool TryTakeAcknowledged(out int packetId)
        {
            lock (_sync)
            {
                if (_ackCount == 0)
                {
                    packetId = -1;
                    return false;
                }
                packetId = _acks[_ackHead];
                _ackHead = (_ackHead + 1) % AckQueueLength;
                _ackCount--;
                return true;
            }
        }

        /// <inheritdoc />
        public bool Subscribe(string topic)
        {
            MqttClient client = _client;
            if (client == null || !client.IsConnected) return false;
            try
            {
                client.Subscribe(new string[] { topic }, new MqttQoSLevel[] { MqttQoSLevel.AtLeastOnce });
                return true;
            }
            catch (Exception)
            {
                return false;
            }
        }

        /// <inheritdoc />
        public int TryTakeMessage(byte[] buffer, out string topic)
        {
            byte[] payload;
            lock (_sync)
            {
                if (_inboxCount == 0)
                {
                    topic = null;
                    return -1;
                }
                topic = _inboxTopics[_inboxHead];
                payload = _inboxPayloads[_inboxHead];
                _inboxTopics[_inboxHead] = null;
                _inboxPayloads[_inboxHead] = null;
                _inboxHead = (_inboxHead + 1) % InboxLength;
                _inboxCount--;
            }
            Array.Copy(payload, 0, buffer, 0, payload.Length < buffer.Length ? payload.Length : buffer.Length);
            return payload.Length;
        }

        private void OnMessage(object sender, MqttMsgPublishEventArgs e)
        {
            // Only the retained configuration (or, unclaimed, the credentials) is subscribed: a short queue, oldest dropped (a newer one follows it).
            if (sender != _client || e.Message == null) return;
            lock (_sync)
            {
                if (_inboxCount == InboxLength)
                {
                    _inboxHead = (_inboxHead + 1) % InboxLength;
                    _inboxCount--;
                }
                int slot = (_inboxHead + _inboxCount) % InboxLength;
                _inboxTopics[slot] = e.Topic;
                _inboxPayloads[slot] = e.Message;
                _inboxCount++;
            }
        }

        private void OnPublished(object sender, MqttMsgPublishedEventArgs e)
        {
            // IsPublished is false when M2Mqtt gave up retrying: that is no PUBACK, so the record stays in the journal.
            if (!e.IsPublished || sender != _client) return;
            lock (_sync)
            {
                if (_ackCount == AckQueueLength)
                {
                    // Overflow drops the oldest id; the uplink then times out and resends, which the fleet de-duplicates.
                    _ackHead = (_ackHead + 1) % AckQueueLength;
                    _ackCount--;
                }
                _acks[(_ackHead + _ackCount) % AckQueueLength] = e.MessageId;
                _ackCount++;
            }
        }

        private void Drop()
        {
            MqttClient old = _client;
            _client = null;
            if (old != null) Close(old);
        }

        private void Close(MqttClient client)
        {
            client.MqttMsgPublished -= OnPublished;
            client.MqttMsgPublishReceived -= OnMessage;
            try
            {
                client.Close();
            }
            catch (Exception)
            {
                // Already gone.
            }
        }
    }
}
