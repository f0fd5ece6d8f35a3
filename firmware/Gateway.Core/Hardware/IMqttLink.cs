namespace Iot.Gateway.Hardware
{
    /// <summary>An MQTT session to the broker; QoS 1 publishes are confirmed by PUBACK.</summary>
    public interface IMqttLink
    {
        /// <summary>True while the session is up.</summary>
        bool IsConnected { get; }

        /// <summary>
        /// True when the broker refused the last finished connection attempt for its login (CONNACK "bad user name or
        /// password" or "not authorized"); false after a success or any other failure.
        /// </summary>
        bool LoginRefused { get; }

        /// <summary>
        /// Tries once to open the session (TCP/TLS, CONNECT with client id = device id); true on CONNACK success.
        /// userName and password may be null (a broker without accounts); will: set the retained offline will
        /// (an unclaimed gateway sets none: its bootstrap account may not publish it).
        /// </summary>
        bool Connect(string userName, string password, bool will);

        /// <summary>Ends the session on purpose (normal DISCONNECT, no will), e.g. to log in with other credentials.</summary>
        void Disconnect();

        /// <summary>Publishes payload[0..length) at QoS 1; returns the packet id, or -1 if it could not be sent.</summary>
        int Publish(string topic, byte[] payload, int length, bool retain);

        /// <summary>Takes the next PUBACK that arrived, if any (polled from the main loop: no callbacks, no threads).</summary>
        bool TryTakeAcknowledged(out int packetId);
    }
}
