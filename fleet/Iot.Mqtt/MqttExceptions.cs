namespace Iot.Mqtt;

/// <summary>An MQTT operation failed; <see cref="ReasonCode"/> says why when the broker told us.</summary>
public class MqttException : Exception
{
    public MqttException(string message, MqttReasonCode? reasonCode = null, Exception? innerException = null)
        : base(message, innerException) => ReasonCode = reasonCode;

    /// <summary>The broker's reason code, when the failure came from the broker.</summary>
    public MqttReasonCode? ReasonCode { get; }
}

/// <summary>Bytes on the wire broke the MQTT specification (malformed packet or protocol error).</summary>
public sealed class MqttProtocolException : MqttException
{
    public MqttProtocolException(string message, MqttReasonCode reasonCode = MqttReasonCode.MalformedPacket)
        : base(message, reasonCode) { }
}

/// <summary>A packet is larger than the peer's or our own maximum packet size, so it was not sent.</summary>
public sealed class MqttPacketTooLargeException : MqttException
{
    public MqttPacketTooLargeException(long packetSize, long maximumPacketSize, string whose)
        : base($"The packet of {packetSize} bytes exceeds the {whose} maximum packet size of {maximumPacketSize} bytes.", MqttReasonCode.PacketTooLarge)
    {
        PacketSize = packetSize;
        MaximumPacketSize = maximumPacketSize;
    }

    public long PacketSize { get; }
    public long MaximumPacketSize { get; }
}
