using Iot.Mqtt.Internal.Packets;

namespace Iot.Mqtt.Internal.Formatter;

/// <summary>Packets to bytes. Every routine runs twice: once measuring, once writing, so the size
/// check against a maximum packet size happens before a single byte is buffered.</summary>
internal static class MqttPacketEncoder
{
    /// <summary>Largest packet MQTT can express: 1 header byte, 4 length bytes, 268,435,455 body bytes.</summary>
    public const int ProtocolMaximumPacketSize = 268_435_460;

    public static int GetSize(MqttPacket packet, MqttProtocolVersion version)
    {
        var measure = MqttWireWriter.Measuring();
        Body(ref measure, packet, version);
        return TotalSize(measure.Position);
    }

    public static byte[] Encode(MqttPacket packet, MqttProtocolVersion version)
    {
        var bytes = new byte[GetSize(packet, version)];
        Encode(packet, version, bytes);
        return bytes;
    }

    /// <summary>Writes the whole packet; <paramref name="destination"/> must hold <see cref="GetSize"/> bytes.</summary>
    public static int Encode(MqttPacket packet, MqttProtocolVersion version, Span<byte> destination)
    {
        var measure = MqttWireWriter.Measuring();
        Body(ref measure, packet, version);
        var writer = MqttWireWriter.Into(destination);
        writer.Byte(FixedHeader(packet));
        writer.VariableByteInteger((uint)measure.Position);
        Body(ref writer, packet, version);
        return writer.Position;
    }

    /// <summary>Size of a PUBLISH built from its parts (the client's hot path, no packet object).</summary>
    public static int GetPublishSize(string topic, ReadOnlySpan<byte> payload, MqttQualityOfService qos, MqttProperties? properties, MqttProtocolVersion version)
    {
        var measure = MqttWireWriter.Measuring();
        PublishBody(ref measure, topic, payload, qos, 1, properties, version);
        return TotalSize(measure.Position);
    }

    public static int EncodePublish(Span<byte> destination, string topic, ReadOnlySpan<byte> payload, MqttQualityOfService qos,
        bool retain, bool dup, ushort packetId, MqttProperties? properties, MqttProtocolVersion version)
    {
        var measure = MqttWireWriter.Measuring();
        PublishBody(ref measure, topic, payload, qos, packetId, properties, version);
        var writer = MqttWireWriter.Into(destination);
        writer.Byte(PublishHeader(qos, retain, dup));
        writer.VariableByteInteger((uint)measure.Position);
        PublishBody(ref writer, topic, payload, qos, packetId, properties, version);
        return writer.Position;
    }

    /// <summary>PUBACK with a success code and no properties: 4 bytes, the most frequent packet we send.</summary>
    public static void EncodePubAck(Span<byte> destination, ushort packetId, MqttReasonCode reasonCode, MqttProtocolVersion version, out int length)
    {
        destination[0] = 0x40;
        destination[2] = (byte)(packetId >> 8);
        destination[3] = (byte)packetId;
        if (reasonCode == MqttReasonCode.Success || version == MqttProtocolVersion.V311)
        {
            destination[1] = 2;
            length = 4;
        }
        else
        {
            destination[1] = 3;
            destination[4] = (byte)reasonCode;
            length = 5;
        }
    }

    private static int TotalSize(int bodyLength)
    {
        if (bodyLength > VariableByteIntegerCodec.Maximum)
            throw new MqttPacketTooLargeException(1L + 4 + bodyLength, ProtocolMaximumPacketSize, "protocol's");
        return 1 + VariableByteIntegerCodec.Size((uint)bodyLength) + bodyLength;
    }

    private static byte PublishHeader(MqttQualityOfService qos, bool retain, bool dup) =>
        (byte)(0x30 | (dup ? 0x08 : 0) | ((byte)qos << 1) | (retain ? 0x01 : 0));

    private static byte FixedHeader(MqttPacket packet) => packet switch
    {
        PublishPacket p => PublishHeader(p.Qos, p.Retain, p.Dup),
        // SUBSCRIBE, UNSUBSCRIBE and PUBREL carry the fixed flags 0010 (spec 2.1.3).
        SubscribePacket or UnsubscribePacket => (byte)(((byte)packet.Type << 4) | 0x02),
        PubAckPacket { Type: MqttPacketType.PubRel } => 0x62,
        _ => (byte)((byte)packet.Type << 4),
    };

    private static void Body(ref MqttWireWriter w, MqttPacket packet, MqttProtocolVersion version)
    {
        var v5 = version == MqttProtocolVersion.V500;
        switch (packet)
        {
            case ConnectPacket p:
                ConnectBody(ref w, p);
                break;
            case ConnAckPacket p:
                w.Byte(p.SessionPresent ? (byte)1 : (byte)0);
                w.Byte(p.ReasonCode);
                if (v5) Properties(ref w, p.Properties);
                break;
            case PublishPacket p:
                PublishBody(ref w, p.Topic, p.Payload.Span, p.Qos, p.PacketId, p.Properties, version);
                break;
            case PubAckPacket p:
                w.UInt16(p.PacketId);
                if (v5 && (p.ReasonCode != MqttReasonCode.Success || p.Properties is not null))
                {
                    w.Byte((byte)p.ReasonCode);
                    if (p.Properties is not null) Properties(ref w, p.Properties);
                }
                break;
            case SubscribePacket p:
                w.UInt16(p.PacketId);
                if (v5) Properties(ref w, p.Properties);
                foreach (var f in p.Filters)
                {
                    w.String(f.TopicFilter);
                    var options = (byte)f.Qos;
                    if (v5)
                    {
                        if (f.NoLocal) options |= 0x04;
                        if (f.RetainAsPublished) options |= 0x08;
                        options |= (byte)((byte)f.RetainHandling << 4);
                    }
                    w.Byte(options);
                }
                break;
            case SubAckPacket p:
                w.UInt16(p.PacketId);
                if (v5) Properties(ref w, p.Properties);
                foreach (var code in p.ReasonCodes) w.Byte((byte)code);
                break;
            case UnsubscribePacket p:
                w.UInt16(p.PacketId);
                if (v5) Properties(ref w, p.Properties);
                foreach (var f in p.Filters) w.String(f);
                break;
            case UnsubAckPacket p:
                w.UInt16(p.PacketId);
                if (v5)
                {
                    Properties(ref w, p.Properties);
                    foreach (var code in p.ReasonCodes) w.Byte((byte)code);
                }
                break;
            case PingReqPacket or PingRespPacket:
                break;
            case DisconnectPacket p:
                if (v5 && (p.ReasonCode != MqttReasonCode.Success || p.Properties is not null))
                {
                    w.Byte((byte)p.ReasonCode);
                    if (p.Properties is not null) Properties(ref w, p.Properties);
                }
                break;
            default:
                throw new NotSupportedException($"Encoding {packet.Type} is not supported.");
        }
    }

    private static void ConnectBody(ref MqttWireWriter w, ConnectPacket p)
    {
        var v5 = p.ProtocolVersion == MqttProtocolVersion.V500;
        var hasWill = p.WillTopic is not null;
        w.String("MQTT");
        w.Byte((byte)p.ProtocolVersion);
        byte flags = 0;
        if (p.CleanStart) flags |= 0x02;
        if (hasWill)
        {
            flags |= 0x04;
            flags |= (byte)((byte)p.WillQos << 3);
            if (p.WillRetain) flags |= 0x20;
        }
        if (p.Password is not null) flags |= 0x40;
        if (p.UserName is not null) flags |= 0x80;
        w.Byte(flags);
        w.UInt16(p.KeepAliveSeconds);
        if (v5) Properties(ref w, p.Properties);
        w.String(p.ClientId);
        if (hasWill)
        {
            if (v5) Properties(ref w, p.WillProperties);
            w.String(p.WillTopic!);
            w.Binary(p.WillPayload ?? []);
        }
        if (p.UserName is not null) w.String(p.UserName);
        if (p.Password is not null) w.Binary(p.Password);
    }

    private static void PublishBody(ref MqttWireWriter w, string topic, ReadOnlySpan<byte> payload, MqttQualityOfService qos,
        ushort packetId, MqttProperties? properties, MqttProtocolVersion version)
    {
        w.String(topic);
        if (qos != MqttQualityOfService.AtMostOnce) w.UInt16(packetId);
        if (version == MqttProtocolVersion.V500) Properties(ref w, properties);
        w.Raw(payload);
    }

    private static void Properties(ref MqttWireWriter w, MqttProperties? p)
    {
        if (p is null)
        {
            w.Byte(0);
            return;
        }
        var measure = MqttWireWriter.Measuring();
        PropertyList(ref measure, p);
        w.VariableByteInteger((uint)measure.Position);
        PropertyList(ref w, p);
    }

    private static void PropertyList(ref MqttWireWriter w, MqttProperties p)
    {
        if (p.PayloadFormatIndicator is { } pfi) { w.Byte(MqttPropertyId.PayloadFormatIndicator); w.Byte(pfi); }
        if (p.MessageExpiryInterval is { } mei) { w.Byte(MqttPropertyId.MessageExpiryInterval); w.UInt32(mei); }
        if (p.ContentType is { } ct) { w.Byte(MqttPropertyId.ContentType); w.String(ct); }
        if (p.ResponseTopic is { } rt) { w.Byte(MqttPropertyId.ResponseTopic); w.String(rt); }
        if (p.CorrelationData is { } cd) { w.Byte(MqttPropertyId.CorrelationData); w.Binary(cd); }
        if (p.SubscriptionIdentifiers is { } ids)
        {
            foreach (var id in ids) { w.Byte(MqttPropertyId.SubscriptionIdentifier); w.VariableByteInteger(id); }
        }
        if (p.SessionExpiryInterval is { } sei) { w.Byte(MqttPropertyId.SessionExpiryInterval); w.UInt32(sei); }
        if (p.AssignedClientIdentifier is { } aci) { w.Byte(MqttPropertyId.AssignedClientIdentifier); w.String(aci); }
        if (p.ServerKeepAlive is { } ska) { w.Byte(MqttPropertyId.ServerKeepAlive); w.UInt16(ska); }
        if (p.AuthenticationMethod is { } am) { w.Byte(MqttPropertyId.AuthenticationMethod); w.String(am); }
        if (p.AuthenticationData is { } ad) { w.Byte(MqttPropertyId.AuthenticationData); w.Binary(ad); }
        if (p.RequestProblemInformation is { } rpi) { w.Byte(MqttPropertyId.RequestProblemInformation); w.Byte(rpi); }
        if (p.WillDelayInterval is { } wdi) { w.Byte(MqttPropertyId.WillDelayInterval); w.UInt32(wdi); }
        if (p.RequestResponseInformation is { } rri) { w.Byte(MqttPropertyId.RequestResponseInformation); w.Byte(rri); }
        if (p.ResponseInformation is { } ri) { w.Byte(MqttPropertyId.ResponseInformation); w.String(ri); }
        if (p.ServerReference is { } sr) { w.Byte(MqttPropertyId.ServerReference); w.String(sr); }
        if (p.ReasonString is { } rs) { w.Byte(MqttPropertyId.ReasonString); w.String(rs); }
        if (p.ReceiveMaximum is { } rm) { w.Byte(MqttPropertyId.ReceiveMaximum); w.UInt16(rm); }
        if (p.TopicAliasMaximum is { } tam) { w.Byte(MqttPropertyId.TopicAliasMaximum); w.UInt16(tam); }
        if (p.TopicAlias is { } ta) { w.Byte(MqttPropertyId.TopicAlias); w.UInt16(ta); }
        if (p.MaximumQoS is { } mq) { w.Byte(MqttPropertyId.MaximumQoS); w.Byte(mq); }
        if (p.RetainAvailable is { } ra) { w.Byte(MqttPropertyId.RetainAvailable); w.Byte(ra); }
        if (p.UserProperties is { } ups)
        {
            foreach (var up in ups) { w.Byte(MqttPropertyId.UserProperty); w.String(up.Key); w.String(up.Value); }
        }
        if (p.MaximumPacketSize is { } mps) { w.Byte(MqttPropertyId.MaximumPacketSize); w.UInt32(mps); }
        if (p.WildcardSubscriptionAvailable is { } wsa) { w.Byte(MqttPropertyId.WildcardSubscriptionAvailable); w.Byte(wsa); }
        if (p.SubscriptionIdentifiersAvailable is { } sia) { w.Byte(MqttPropertyId.SubscriptionIdentifiersAvailable); w.Byte(sia); }
        if (p.SharedSubscriptionAvailable is { } ssa) { w.Byte(MqttPropertyId.SharedSubscriptionAvailable); w.Byte(ssa); }
    }
}
