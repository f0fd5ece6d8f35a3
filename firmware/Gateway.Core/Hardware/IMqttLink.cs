namespace Iot.Gateway.Hardware
{
    /// <summary>An MQTT session to the broker; QoS 1 publishes are confirmed by PUBACK.</summary>
    public interface IMqttLink
    {
        /// <summary>True while the session is up.</summary>
        bool IsConnected { get; }

        /// <summary>Tries once to open the session (TCP/TLS, CONNECT with the offline will); true on CONNACK success.</summary>
        bool Connect();

        /// <summary>Publishes payload[0..length) at QoS 1; returns the packet id, or -1 if it could not be sent.</summary>
        int Publish(string topic, byte[] payload, int length, bool retain);

        /// <summary>Takes the next PUBACK that arrived, if any (polled from the main loop: no callbacks, no threads).</summary>
        bool TryTakeAcknowledged(out int packetId);
    }
}
