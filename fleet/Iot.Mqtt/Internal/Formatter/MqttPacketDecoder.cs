using System.Text;
using Iot.Mqtt.Internal.Packets;

namespace Iot.Mqtt.Internal.Formatter;

/// <summary>Outcome of one decode attempt on a buffer.</summary>
internal enum MqttDecodeStatus
{
    /// <summary>The buffer holds only part of a packet; read more and try again.</summary>
    NeedMoreData,

    /// <summary>A whole packet was decoded.</summary>
    Packet,
}

/// <summary>Bytes to packets, incrementally: a buffer holding part of a packet asks for more, a
/// buffer holding a broken one throws <see cref="MqttProtocolException"/>, never anything else.</summary>
internal sealed class MqttPacketDecoder
{
    private byte[] _lastTopicBytes = [];
    private string _lastTopic = "";

    public MqttPacketDecoder(MqttProtocolVersion version, int maximumPacketSize = MqttPacketEncoder.ProtocolMaximumPacketSize)
    {
        Version = version;
        MaximumPacketSize = maximumPacketSize;
    }

    /// <summary>Decides the layout of packets whose layout differs between 3.1.1 and 5.0.</summary>
    public MqttProtocolVersion Version { get; set; }

    /// <summary>Packets larger than this (fixed header included) are refused as soon as their header arrives.</summary>
    public int MaximumPacketSize { get; set; }

    /// <summary>Decodes the first packet in <paramref name="buffer"/>. On <see cref="MqttDecodeStatus.Packet"/>,
    /// <paramref name="consumed"/> bytes belong to it; on NeedMoreData, <paramref name="packetLength"/> is the
    /// whole packet's size when the fixed header is complete (so the caller can size its buffer), else 0.</summary>
    public MqttDecodeStatus TryDecode(ReadOnlySpan<byte> buffer, out MqttPacket? packet, out int consumed, out int packetLength)
    {
        packet = null;
        consumed = 0;
        packetLength = 0;
        if (buffer.Length < 2) return MqttDecodeStatus.NeedMoreData;
        if (!VariableByteIntegerCodec.TryRead(buffer[1..], out var remaining, out var lengthBytes))
            return MqttDecodeStatus.NeedMoreData;
        var total = 1L + lengthBytes + remaining;
        if (total > MaximumPacketSize)
            throw new MqttProtocolException($"An incoming packet of {total} bytes exceeds the maximum packet size of {MaximumPacketSize} bytes.", MqttReasonCode.PacketTooLarge);
        packetLength = (int)total;
        if (buffer.Length < total) return MqttDecodeStatus.NeedMoreData;
        packet = Decode(buffer[0], buffer.Slice(1 + lengthBytes, (int)remaining));
        consumed = packetLength;
        return MqttDecodeStatus.Packet;
    }

    /// <summary>Decodes one packet from its first header byte and its body (the remaining length bytes).</summary>
    public MqttPacket Decode(byte header, ReadOnlySpan<byte> body)
    {
        var type = (MqttPacketType)(header >> 4);
        var flags = header & 0x0F;
        var reader = new MqttWireReader(body);
        MqttPacket packet = type switch
        {
            MqttPacketType.Connect => DecodeConnect(ref reader, flags),
            MqttPacketType.ConnAck => DecodeConnAck(ref reader, flags),
            MqttPacketType.Publish => DecodePublish(ref reader, flags),
            MqttPacketType.PubAck => DecodePubAck(ref reader, flags, type),
            MqttPacketType.PubRec or MqttPacketType.PubRel or MqttPacketType.PubComp =>
                throw new MqttProtocolException($"{type.ToString().ToUpperInvariant()} belongs to QoS 2, which this client does not support.", MqttReasonCode.QoSNotSupported),
            MqttPacketType.Subscribe => DecodeSubscribe(ref reader, flags),
            MqttPacketType.SubAck => DecodeSubAck(ref reader, flags),
            MqttPacketType.Unsubscribe => DecodeUnsubscribe(ref reader, flags),
            MqttPacketType.UnsubAck => DecodeUnsubAck(ref reader, flags),
            MqttPacketType.PingReq => Empty(ref reader, flags, PingReqPacket.Instance),
            MqttPacketType.PingResp => Empty(ref reader, flags, PingRespPacket.Instance),
            MqttPacketType.Disconnect => DecodeDisconnect(ref reader, flags),
            MqttPacketType.Auth => throw new MqttProtocolException(Version == MqttProtocolVersion.V500
                ? "AUTH (enhanced authentication) is not supported."
                : "Packet type 15 does not exist in MQTT 3.1.1.", MqttReasonCode.ProtocolError),
            _ => throw new MqttProtocolException("Packet type 0 is reserved."),
        };
        if (!reader.AtEnd)
            throw new MqttProtocolException($"{type} has {reader.Remaining} bytes beyond its content.");
        return packet;
    }

    private bool V5 => Version == MqttProtocolVersion.V500;

    private static void Flags(int flags, int expected, MqttPacketType type)
    {
        if (flags != expected)
            throw new MqttProtocolException($"{type} has fixed-header flags {flags:X1}; the specification requires {expected:X1}.");
    }

    private static MqttPacket Empty(ref MqttWireReader reader, int flags, MqttPacket packet)
    {
        Flags(flags, 0, packet.Type);
        if (!reader.AtEnd) throw new MqttProtocolException($"{packet.Type} must have no body.");
        return packet;
    }

    private static ConnectPacket DecodeConnect(ref MqttWireReader r, int flags)
    {
        Flags(flags, 0, MqttPacketType.Connect);
        var name = r.String();
        if (name != "MQTT") throw new MqttProtocolException($"Protocol name '{name}' is not MQTT.", MqttReasonCode.UnsupportedProtocolVersion);
        var level = r.Byte();
        if (level is not (4 or 5)) throw new MqttProtocolException($"Protocol level {level} is not supported.", MqttReasonCode.UnsupportedProtocolVersion);
        var version = (MqttProtocolVersion)level;
        var connectFlags = r.Byte();
        if ((connectFlags & 0x01) != 0) throw new MqttProtocolException("The reserved CONNECT flag is set.");
        var will = (connectFlags & 0x04) != 0;
        var willQos = (connectFlags >> 3) & 0x03;
        var willRetain = (connectFlags & 0x20) != 0;
        if (willQos == 3) throw new MqttProtocolException("Will QoS 3 is invalid.");
        if (!will && (willQos != 0 || willRetain)) throw new MqttProtocolException("Will QoS or retain is set without a will.");
        var hasPassword = (connectFlags & 0x40) != 0;
        var hasUser = (connectFlags & 0x80) != 0;
        if (version == MqttProtocolVersion.V311 && hasPassword && !hasUser)
            throw new MqttProtocolException("MQTT 3.1.1 forbids a password without a user name.");
        var packet = new ConnectPacket
        {
            ProtocolVersion = version,
            CleanStart = (connectFlags & 0x02) != 0,
            KeepAliveSeconds = r.UInt16(),
        };
        var v5 = version == MqttProtocolVersion.V500;
        if (v5) packet.Properties = DecodeProperties(ref r);
        packet.ClientId = r.String();
        if (will)
        {
            if (v5) packet.WillProperties = DecodeProperties(ref r);
            packet.WillTopic = r.String();
            packet.WillPayload = r.Binary();
            packet.WillQos = (MqttQualityOfService)willQos;
            packet.WillRetain = willRetain;
        }
        if (hasUser) packet.UserName = r.String();
        if (hasPassword) packet.Password = r.Binary();
        return packet;
    }

    private ConnAckPacket DecodeConnAck(ref MqttWireReader r, int flags)
    {
        Flags(flags, 0, MqttPacketType.ConnAck);
        var ackFlags = r.Byte();
        if ((ackFlags & 0xFE) != 0) throw new MqttProtocolException("Reserved CONNACK flags are set.");
        var packet = new ConnAckPacket { SessionPresent = (ackFlags & 0x01) != 0, ReasonCode = r.Byte() };
        if (V5) packet.Properties = DecodeProperties(ref r);
        return packet;
    }

    private PublishPacket DecodePublish(ref MqttWireReader r, int flags)
    {
        var qos = (flags >> 1) & 0x03;
        var dup = (flags & 0x08) != 0;
        if (qos == 3) throw new MqttProtocolException("PUBLISH with QoS 3 is invalid.");
        if (qos == 0 && dup) throw new MqttProtocolException("PUBLISH with QoS 0 must not have DUP set.");
        var topic = Topic(r.Utf8Bytes());
        if (topic.AsSpan().IndexOfAny('+', '#') >= 0)
            throw new MqttProtocolException($"Topic name '{topic}' contains a wildcard.", MqttReasonCode.TopicNameInvalid);
        var packet = new PublishPacket { Topic = topic, Qos = (MqttQualityOfService)qos, Dup = dup, Retain = (flags & 0x01) != 0 };
        if (qos > 0)
        {
            packet.PacketId = r.UInt16();
            if (packet.PacketId == 0) throw new MqttProtocolException("PUBLISH with QoS > 0 has packet identifier 0.");
        }
        if (V5) packet.Properties = DecodeProperties(ref r);
        if (topic.Length == 0 && packet.Properties?.TopicAlias is null)
            throw new MqttProtocolException("PUBLISH has an empty topic name.", MqttReasonCode.TopicNameInvalid);
        packet.Payload = r.Rest().ToArray();
        return packet;
    }

    // Consecutive messages usually share a topic: reuse the last string instead of allocating one each time.
    private string Topic(ReadOnlySpan<byte> bytes)
    {
        if (bytes.SequenceEqual(_lastTopicBytes)) return _lastTopic;
        var topic = Encoding.UTF8.GetString(bytes);
        _lastTopicBytes = bytes.ToArray();
        _lastTopic = topic;
        return topic;
    }

    private PubAckPacket DecodePubAck(ref MqttWireReader r, int flags, MqttPacketType type)
    {
        Flags(flags, 0, type);
        var packet = new PubAckPacket(type) { PacketId = r.UInt16() };
        if (V5)
        {
            if (!r.AtEnd) packet.ReasonCode = (MqttReasonCode)r.Byte();
            if (!r.AtEnd) packet.Properties = DecodeProperties(ref r);
        }
        return packet;
    }

    private SubscribePacket DecodeSubscribe(ref MqttWireReader r, int flags)
    {
        Flags(flags, 2, MqttPacketType.Subscribe);
        var packet = new SubscribePacket { PacketId = r.UInt16() };
        if (V5) packet.Properties = DecodeProperties(ref r);
        while (!r.AtEnd)
        {
            var filter = r.String();
            var options = r.Byte();
            var qos = options & 0x03;
            if (qos == 3) throw new MqttProtocolException("Subscription QoS 3 is invalid.");
            if (V5)
            {
                if ((options & 0xC0) != 0) throw new MqttProtocolException("Reserved subscription option bits are set.");
                var retainHandling = (options >> 4) & 0x03;
                if (retainHandling == 3) throw new MqttProtocolException("Retain handling 3 is invalid.");
                packet.Filters.Add(new SubscribeFilter(filter, (MqttQualityOfService)qos, (options & 0x04) != 0, (options & 0x08) != 0, (MqttRetainHandling)retainHandling));
            }
            else
            {
                if ((options & 0xFC) != 0) throw new MqttProtocolException("Reserved subscription option bits are set.");
                packet.Filters.Add(new SubscribeFilter(filter, (MqttQualityOfService)qos));
            }
        }
        if (packet.Filters.Count == 0) throw new MqttProtocolException("SUBSCRIBE has no topic filter.", MqttReasonCode.ProtocolError);
        return packet;
    }

    private SubAckPacket DecodeSubAck(ref MqttWireReader r, int flags)
    {
        Flags(flags, 0, MqttPacketType.SubAck);
        var packet = new SubAckPacket { PacketId = r.UInt16() };
        if (V5) packet.Properties = DecodeProperties(ref r);
        foreach (var code in r.Rest())
        {
            if (!V5 && code is not (0 or 1 or 2 or 0x80)) throw new MqttProtocolException($"SUBACK return code {code:X2} is invalid in MQTT 3.1.1.");
            packet.ReasonCodes.Add((MqttReasonCode)code);
        }
        if (packet.ReasonCodes.Count == 0) throw new MqttProtocolException("SUBACK has no return code.");
        return packet;
    }

    private UnsubscribePacket DecodeUnsubscribe(ref MqttWireReader r, int flags)
    {
        Flags(flags, 2, MqttPacketType.Unsubscribe);
        var packet = new UnsubscribePacket { PacketId = r.UInt16() };
        if (V5) packet.Properties = DecodeProperties(ref r);
        while (!r.AtEnd) packet.Filters.Add(r.String());
        if (packet.Filters.Count == 0) throw new MqttProtocolException("UNSUBSCRIBE has no topic filter.", MqttReasonCode.ProtocolError);
        return packet;
    }

    private UnsubAckPacket DecodeUnsubAck(ref MqttWireReader r, int flags)
    {
        Flags(flags, 0, MqttPacketType.UnsubAck);
        var packet = new UnsubAckPacket { PacketId = r.UInt16() };
        if (V5)
        {
            packet.Properties = DecodeProperties(ref r);
            foreach (var code in r.Rest()) packet.ReasonCodes.Add((MqttReasonCode)code);
            if (packet.ReasonCodes.Count == 0) throw new MqttProtocolException("UNSUBACK has no reason code.");
        }
        return packet;
    }

    private DisconnectPacket DecodeDisconnect(ref MqttWireReader r, int flags)
    {
        Flags(flags, 0, MqttPacketType.Disconnect);
        var packet = new DisconnectPacket();
        if (V5)
        {
            if (!r.AtEnd) packet.ReasonCode = (MqttReasonCode)r.Byte();
            if (!r.AtEnd) packet.Properties = DecodeProperties(ref r);
        }
        return packet;
    }

    /// <summary>Properties, or null when the property length is 0 (the common case costs no allocation).</summary>
    private static MqttProperties? DecodeProperties(ref MqttWireReader r)
    {
        var length = r.VariableByteInteger();
        if (length == 0) return null;
        if (length > r.Remaining) throw new MqttProtocolException($"The property length {length} runs past the end of the packet.");
        var p = new MqttProperties();
        var inner = new MqttWireReader(r.Raw((int)length));
        while (!inner.AtEnd)
        {
            var id = inner.VariableByteInteger();
            switch (id)
            {
                case MqttPropertyId.PayloadFormatIndicator: p.PayloadFormatIndicator = Once(p.PayloadFormatIndicator, inner.Byte()); break;
                case MqttPropertyId.MessageExpiryInterval: p.MessageExpiryInterval = Once(p.MessageExpiryInterval, inner.UInt32()); break;
                case MqttPropertyId.ContentType: p.ContentType = Once(p.ContentType, inner.String()); break;
                case MqttPropertyId.ResponseTopic: p.ResponseTopic = Once(p.ResponseTopic, inner.String()); break;
                case MqttPropertyId.CorrelationData: p.CorrelationData = Once(p.CorrelationData, inner.Binary()); break;
                case MqttPropertyId.SubscriptionIdentifier:
                    var sid = inner.VariableByteInteger();
                    if (sid == 0) throw new MqttProtocolException("Subscription identifier 0 is invalid.", MqttReasonCode.ProtocolError);
                    (p.SubscriptionIdentifiers ??= []).Add(sid);
                    break;
                case MqttPropertyId.SessionExpiryInterval: p.SessionExpiryInterval = Once(p.SessionExpiryInterval, inner.UInt32()); break;
                case MqttPropertyId.AssignedClientIdentifier: p.AssignedClientIdentifier = Once(p.AssignedClientIdentifier, inner.String()); break;
                case MqttPropertyId.ServerKeepAlive: p.ServerKeepAlive = Once(p.ServerKeepAlive, inner.UInt16()); break;
                case MqttPropertyId.AuthenticationMethod: p.AuthenticationMethod = Once(p.AuthenticationMethod, inner.String()); break;
                case MqttPropertyId.AuthenticationData: p.AuthenticationData = Once(p.AuthenticationData, inner.Binary()); break;
                case MqttPropertyId.RequestProblemInformation: p.RequestProblemInformation = Once(p.RequestProblemInformation, inner.Byte()); break;
                case MqttPropertyId.WillDelayInterval: p.WillDelayInterval = Once(p.WillDelayInterval, inner.UInt32()); break;
                case MqttPropertyId.RequestResponseInformation: p.RequestResponseInformation = Once(p.RequestResponseInformation, inner.Byte()); break;
                case MqttPropertyId.ResponseInformation: p.ResponseInformation = Once(p.ResponseInformation, inner.String()); break;
                case MqttPropertyId.ServerReference: p.ServerReference = Once(p.ServerReference, inner.String()); break;
                case MqttPropertyId.ReasonString: p.ReasonString = Once(p.ReasonString, inner.String()); break;
                case MqttPropertyId.ReceiveMaximum:
                    p.ReceiveMaximum = Once(p.ReceiveMaximum, inner.UInt16());
                    if (p.ReceiveMaximum == 0) throw new MqttProtocolException("Receive maximum 0 is invalid.", MqttReasonCode.ProtocolError);
                    break;
                case MqttPropertyId.TopicAliasMaximum: p.TopicAliasMaximum = Once(p.TopicAliasMaximum, inner.UInt16()); break;
                case MqttPropertyId.TopicAlias: p.TopicAlias = Once(p.TopicAlias, inner.UInt16()); break;
                case MqttPropertyId.MaximumQoS: p.MaximumQoS = Once(p.MaximumQoS, inner.Byte()); break;
                case MqttPropertyId.RetainAvailable: p.RetainAvailable = Once(p.RetainAvailable, inner.Byte()); break;
                case MqttPropertyId.UserProperty:
                    var key = inner.String();
                    (p.UserProperties ??= []).Add(new(key, inner.String()));
                    break;
                case MqttPropertyId.MaximumPacketSize:
                    p.MaximumPacketSize = Once(p.MaximumPacketSize, inner.UInt32());
                    if (p.MaximumPacketSize == 0) throw new MqttProtocolException("Maximum packet size 0 is invalid.", MqttReasonCode.ProtocolError);
                    break;
                case MqttPropertyId.WildcardSubscriptionAvailable: p.WildcardSubscriptionAvailable = Once(p.WildcardSubscriptionAvailable, inner.Byte()); break;
                case MqttPropertyId.SubscriptionIdentifiersAvailable: p.SubscriptionIdentifiersAvailable = Once(p.SubscriptionIdentifiersAvailable, inner.Byte()); break;
                case MqttPropertyId.SharedSubscriptionAvailable: p.SharedSubscriptionAvailable = Once(p.SharedSubscriptionAvailable, inner.Byte()); break;
                default: throw new MqttProtocolException($"Property identifier {id} is unknown.");
            }
        }
        return p;
    }

    // A property other than the user property and subscription identifier may appear once (5.0 §2.2.2.2).
    private static T Once<T>(T? existing, T value) where T : struct =>
        existing is null ? value : throw new MqttProtocolException("A property appears twice.", MqttReasonCode.ProtocolError);

    private static T Once<T>(T? existing, T value) where T : class =>
        existing is null ? value : throw new MqttProtocolException("A property appears twice.", MqttReasonCode.ProtocolError);
}
