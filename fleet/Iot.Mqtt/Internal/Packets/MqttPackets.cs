namespace Iot.Mqtt.Internal.Packets;

/// <summary>Control packet types, the high nibble of the fixed header.</summary>
internal enum MqttPacketType : byte
{
    Connect = 1,
    ConnAck = 2,
    Publish = 3,
    PubAck = 4,
    PubRec = 5,
    PubRel = 6,
    PubComp = 7,
    Subscribe = 8,
    SubAck = 9,
    Unsubscribe = 10,
    UnsubAck = 11,
    PingReq = 12,
    PingResp = 13,
    Disconnect = 14,
    Auth = 15,
}

/// <summary>One decoded or to-be-encoded MQTT control packet.</summary>
internal abstract class MqttPacket
{
    public abstract MqttPacketType Type { get; }
}

/// <summary>CONNECT: the first packet a client sends.</summary>
internal sealed class ConnectPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Connect;
    public MqttProtocolVersion ProtocolVersion { get; set; } = MqttProtocolVersion.V500;
    public string ClientId { get; set; } = "";
    /// <summary>Clean start (5.0) or clean session (3.1.1).</summary>
    public bool CleanStart { get; set; } = true;
    public ushort KeepAliveSeconds { get; set; }
    public string? UserName { get; set; }
    public byte[]? Password { get; set; }
    public string? WillTopic { get; set; }
    public byte[]? WillPayload { get; set; }
    public MqttQualityOfService WillQos { get; set; }
    public bool WillRetain { get; set; }
    public MqttProperties? WillProperties { get; set; }
    public MqttProperties? Properties { get; set; }
}

/// <summary>CONNACK: the broker's answer to CONNECT. The reason code is raw: a 3.1.1 return code
/// or a 5.0 reason code.</summary>
internal sealed class ConnAckPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.ConnAck;
    public bool SessionPresent { get; set; }
    public byte ReasonCode { get; set; }
    public MqttProperties? Properties { get; set; }
}

/// <summary>PUBLISH in either direction.</summary>
internal sealed class PublishPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Publish;
    public string Topic { get; set; } = "";
    public ReadOnlyMemory<byte> Payload { get; set; }
    public MqttQualityOfService Qos { get; set; }
    public bool Retain { get; set; }
    public bool Dup { get; set; }
    /// <summary>0 for QoS 0, where the packet has no identifier.</summary>
    public ushort PacketId { get; set; }
    public MqttProperties? Properties { get; set; }
}

/// <summary>PUBACK, and the QoS 2 packets PUBREC/PUBREL/PUBCOMP which share its layout.</summary>
internal sealed class PubAckPacket : MqttPacket
{
    public PubAckPacket(MqttPacketType type = MqttPacketType.PubAck) => Type = type;
    public override MqttPacketType Type { get; }
    public ushort PacketId { get; set; }
    public MqttReasonCode ReasonCode { get; set; }
    public MqttProperties? Properties { get; set; }
}

/// <summary>One topic filter of a SUBSCRIBE with its options.</summary>
internal sealed record SubscribeFilter(string TopicFilter, MqttQualityOfService Qos,
    bool NoLocal = false, bool RetainAsPublished = false, MqttRetainHandling RetainHandling = MqttRetainHandling.SendAtSubscribe);

internal sealed class SubscribePacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Subscribe;
    public ushort PacketId { get; set; }
    public List<SubscribeFilter> Filters { get; set; } = [];
    public MqttProperties? Properties { get; set; }
}

/// <summary>SUBACK: one reason code (granted QoS or failure) per filter.</summary>
internal sealed class SubAckPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.SubAck;
    public ushort PacketId { get; set; }
    public List<MqttReasonCode> ReasonCodes { get; set; } = [];
    public MqttProperties? Properties { get; set; }
}

internal sealed class UnsubscribePacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Unsubscribe;
    public ushort PacketId { get; set; }
    public List<string> Filters { get; set; } = [];
    public MqttProperties? Properties { get; set; }
}

/// <summary>UNSUBACK: reason codes exist in 5.0 only.</summary>
internal sealed class UnsubAckPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.UnsubAck;
    public ushort PacketId { get; set; }
    public List<MqttReasonCode> ReasonCodes { get; set; } = [];
    public MqttProperties? Properties { get; set; }
}

internal sealed class PingReqPacket : MqttPacket
{
    public static readonly PingReqPacket Instance = new();
    public override MqttPacketType Type => MqttPacketType.PingReq;
}

internal sealed class PingRespPacket : MqttPacket
{
    public static readonly PingRespPacket Instance = new();
    public override MqttPacketType Type => MqttPacketType.PingResp;
}

/// <summary>DISCONNECT in either direction; the reason code and properties exist in 5.0 only.</summary>
internal sealed class DisconnectPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Disconnect;
    public MqttReasonCode ReasonCode { get; set; }
    public MqttProperties? Properties { get; set; }
}
