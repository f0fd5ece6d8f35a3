using Iot.Mqtt.Internal.Formatter;
using Iot.Mqtt.Internal.Packets;
using Xunit;

namespace Iot.Mqtt.Tests.Formatter;

/// <summary>Every packet type survives encode → decode for both protocol versions, and the bytes match
/// the MQTT specification's examples.</summary>
public sealed class PacketCodecTests
{
    public static TheoryData<MqttProtocolVersion, int> EveryPacket()
    {
        var data = new TheoryData<MqttProtocolVersion, int>();
        foreach (var version in new[] { MqttProtocolVersion.V311, MqttProtocolVersion.V500 })
        {
            var count = Packets.All(version).Count();
            for (var i = 0; i < count; i++) data.Add(version, i);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryPacket))]
    public void Packet_round_trips(MqttProtocolVersion version, int index)
    {
        var packet = Packets.All(version).ElementAt(index);
        var bytes = MqttPacketEncoder.Encode(packet, version);
        var decoder = new MqttPacketDecoder(version);

        Assert.Equal(MqttDecodeStatus.Packet, decoder.TryDecode(bytes, out var decoded, out var consumed, out _));
        Assert.Equal(bytes.Length, consumed);
        Assert.Equal(packet.Type, decoded!.Type);
        Assert.Equal(bytes, MqttPacketEncoder.Encode(decoded, version));
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public void Decoded_fields_match(MqttProtocolVersion version)
    {
        var v5 = version == MqttProtocolVersion.V500;
        var decoder = new MqttPacketDecoder(version);
        var connect = (ConnectPacket)RoundTrip(decoder, Packets.All(version).First());
        Assert.Equal(("NS-0001", false, (ushort)30, "device"), (connect.ClientId, connect.CleanStart, connect.KeepAliveSeconds, connect.UserName));
        Assert.Equal(new byte[] { 1, 2, 3 }, connect.Password);
        Assert.Equal(("iot/v1/NS-0001/status", MqttQualityOfService.AtLeastOnce, true), (connect.WillTopic, connect.WillQos, connect.WillRetain));
        Assert.Equal(v5 ? 3600u : null, connect.Properties?.SessionExpiryInterval);

        var connAck = (ConnAckPacket)RoundTrip(decoder, Packets.All(version).ElementAt(2));
        Assert.True(connAck.SessionPresent);
        if (v5)
        {
            Assert.Equal(1024u, connAck.Properties!.MaximumPacketSize);
            Assert.Equal((ushort)20, connAck.Properties.ReceiveMaximum);
            Assert.Equal("auto-1", connAck.Properties.AssignedClientIdentifier);
            Assert.Equal((ushort)10, connAck.Properties.TopicAliasMaximum);
            Assert.Equal(2, connAck.Properties.UserProperties!.Count);
        }

        var publish = (PublishPacket)RoundTrip(decoder, Packets.All(version).ElementAt(5));
        Assert.Equal(("iot/v1/NS-0001/telemetry", MqttQualityOfService.AtLeastOnce, true, true, (ushort)65535),
            (publish.Topic, publish.Qos, publish.Retain, publish.Dup, publish.PacketId));
        Assert.Equal(300, publish.Payload.Length);
        if (v5) Assert.Equal(new uint[] { 1, 268_435_455 }, publish.Properties!.SubscriptionIdentifiers);

        var subscribe = (SubscribePacket)RoundTrip(decoder, Packets.All(version).Single(p => p is SubscribePacket));
        Assert.Equal("$share/fleet/iot/v1/#", subscribe.Filters[1].TopicFilter);
        if (v5) Assert.Equal(new SubscribeFilter("x", MqttQualityOfService.AtLeastOnce, true, true, MqttRetainHandling.DoNotSend), subscribe.Filters[2]);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public void Disconnect_carries_reason_codes_in_5_only(MqttProtocolVersion version)
    {
        var bytes = MqttPacketEncoder.Encode(new DisconnectPacket { ReasonCode = MqttReasonCode.ServerShuttingDown }, version);
        if (version == MqttProtocolVersion.V311) Assert.Equal(new byte[] { 0xE0, 0x00 }, bytes);
        else Assert.Equal(new byte[] { 0xE0, 0x01, 0x8B }, bytes);
    }

    // MQTT 3.1.1 table 2.4 / MQTT 5.0 table 1-1: the boundaries of each encoded length.
    [Theory]
    [InlineData(0u, new byte[] { 0x00 })]
    [InlineData(127u, new byte[] { 0x7F })]
    [InlineData(128u, new byte[] { 0x80, 0x01 })]
    [InlineData(16_383u, new byte[] { 0xFF, 0x7F })]
    [InlineData(16_384u, new byte[] { 0x80, 0x80, 0x01 })]
    [InlineData(2_097_151u, new byte[] { 0xFF, 0xFF, 0x7F })]
    [InlineData(2_097_152u, new byte[] { 0x80, 0x80, 0x80, 0x01 })]
    [InlineData(268_435_455u, new byte[] { 0xFF, 0xFF, 0xFF, 0x7F })]
    public void Variable_byte_integer_matches_the_specification(uint value, byte[] expected)
    {
        var buffer = new byte[4];
        var length = VariableByteIntegerCodec.Write(buffer, value);
        Assert.Equal(expected, buffer[..length]);
        Assert.True(VariableByteIntegerCodec.TryRead(expected, out var decoded, out var read));
        Assert.Equal((value, expected.Length), (decoded, read));
    }

    [Fact]
    public void Connect_3_1_1_matches_the_specification_example()
    {
        // 3.1.1 §3.1.2.10: protocol name, level 4, flags 0xCE (user, password, will QoS 1, will, clean session), keep-alive 10.
        var packet = new ConnectPacket
        {
            ProtocolVersion = MqttProtocolVersion.V311, ClientId = "t", CleanStart = true, KeepAliveSeconds = 10,
            UserName = "u", Password = [], WillTopic = "w", WillPayload = [], WillQos = MqttQualityOfService.AtLeastOnce,
        };
        var bytes = MqttPacketEncoder.Encode(packet, MqttProtocolVersion.V311);
        Assert.Equal(new byte[] { 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x04, 0xCE, 0x00, 0x0A }, bytes[2..12]);

        // The minimal CONNECT that Mosquitto accepts in Iot.Stack.Tests, byte for byte.
        var minimal = new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V311, ClientId = "t", CleanStart = true, KeepAliveSeconds = 10 };
        Assert.Equal(new byte[] { 0x10, 13, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 2, 0, 10, 0, 1, (byte)'t' },
            MqttPacketEncoder.Encode(minimal, MqttProtocolVersion.V311));
    }

    [Fact]
    public void Connect_5_matches_the_specification_example()
    {
        // 5.0 §3.1.2.11.1 example: level 5, flags 0xCE, keep-alive 10, properties length 5, session expiry 10.
        var packet = new ConnectPacket
        {
            ProtocolVersion = MqttProtocolVersion.V500, ClientId = "t", CleanStart = true, KeepAliveSeconds = 10,
            UserName = "u", Password = [], WillTopic = "w", WillPayload = [], WillQos = MqttQualityOfService.AtLeastOnce,
            Properties = new MqttProperties { SessionExpiryInterval = 10 },
        };
        var bytes = MqttPacketEncoder.Encode(packet, MqttProtocolVersion.V500);
        Assert.Equal(new byte[] { 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x05, 0xCE, 0x00, 0x0A, 0x05, 0x11, 0x00, 0x00, 0x00, 0x0A },
            bytes[2..18]);
    }

    [Fact]
    public void Publish_matches_the_specification_example()
    {
        // 3.1.1 §3.3.2.3: topic "a/b", packet identifier 10.
        var bytes = MqttPacketEncoder.Encode(new PublishPacket { Topic = "a/b", Qos = MqttQualityOfService.AtLeastOnce, PacketId = 10, Payload = new byte[] { 0xAA } }, MqttProtocolVersion.V311);
        Assert.Equal(new byte[] { 0x32, 0x08, 0x00, 0x03, (byte)'a', (byte)'/', (byte)'b', 0x00, 0x0A, 0xAA }, bytes);
        // 5.0 adds a property length (0) before the payload.
        var v5 = MqttPacketEncoder.Encode(new PublishPacket { Topic = "a/b", Qos = MqttQualityOfService.AtLeastOnce, PacketId = 10, Payload = new byte[] { 0xAA } }, MqttProtocolVersion.V500);
        Assert.Equal(new byte[] { 0x32, 0x09, 0x00, 0x03, (byte)'a', (byte)'/', (byte)'b', 0x00, 0x0A, 0x00, 0xAA }, v5);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public void Fixed_two_byte_packets_match_the_specification(MqttProtocolVersion version)
    {
        Assert.Equal(new byte[] { 0xC0, 0x00 }, MqttPacketEncoder.Encode(PingReqPacket.Instance, version));
        Assert.Equal(new byte[] { 0xD0, 0x00 }, MqttPacketEncoder.Encode(PingRespPacket.Instance, version));
        Assert.Equal(new byte[] { 0xE0, 0x00 }, MqttPacketEncoder.Encode(new DisconnectPacket(), version));
        Assert.Equal(new byte[] { 0x40, 0x02, 0x00, 0x0A }, MqttPacketEncoder.Encode(new PubAckPacket { PacketId = 10 }, version));
        Assert.Equal(new byte[] { 0x20, 0x02, 0x00, 0x00 }, MqttPacketEncoder.Encode(new ConnAckPacket(), MqttProtocolVersion.V311));
        Assert.Equal(new byte[] { 0x82, 0x08, 0x00, 0x01, 0x00, 0x03, (byte)'a', (byte)'/', (byte)'b', 0x01 },
            MqttPacketEncoder.Encode(new SubscribePacket { PacketId = 1, Filters = [new("a/b", MqttQualityOfService.AtLeastOnce)] }, MqttProtocolVersion.V311));
    }

    [Fact]
    public void Decoder_asks_for_more_bytes_until_the_packet_is_complete()
    {
        var bytes = MqttPacketEncoder.Encode(Packets.All(MqttProtocolVersion.V500).ElementAt(5), MqttProtocolVersion.V500);
        var decoder = new MqttPacketDecoder(MqttProtocolVersion.V500);
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Equal(MqttDecodeStatus.NeedMoreData, decoder.TryDecode(bytes.AsSpan(0, length), out _, out var consumed, out var packetLength));
            Assert.Equal(0, consumed);
            if (length >= 3) Assert.Equal(bytes.Length, packetLength);
        }
        Assert.Equal(MqttDecodeStatus.Packet, decoder.TryDecode(bytes, out _, out _, out _));
    }

    [Fact]
    public void Two_packets_in_one_buffer_decode_one_after_the_other()
    {
        var decoder = new MqttPacketDecoder(MqttProtocolVersion.V311);
        byte[] buffer = [0xD0, 0x00, 0x40, 0x02, 0x00, 0x07, 0xC0];
        Assert.Equal(MqttDecodeStatus.Packet, decoder.TryDecode(buffer, out var first, out var consumed, out _));
        Assert.IsType<PingRespPacket>(first);
        Assert.Equal(MqttDecodeStatus.Packet, decoder.TryDecode(buffer.AsSpan(consumed), out var second, out var consumed2, out _));
        Assert.Equal((ushort)7, Assert.IsType<PubAckPacket>(second).PacketId);
        Assert.Equal(MqttDecodeStatus.NeedMoreData, decoder.TryDecode(buffer.AsSpan(consumed + consumed2), out _, out _, out _));
    }

    public static TheoryData<string, byte[]> MalformedPackets() => new()
    {
        { "remaining length of 5 bytes", [0x30, 0x80, 0x80, 0x80, 0x80, 0x01] },
        { "PUBLISH with QoS 3", [0x36, 0x03, 0x00, 0x01, (byte)'a'] },
        { "PUBLISH QoS 0 with DUP", [0x38, 0x03, 0x00, 0x01, (byte)'a'] },
        { "SUBSCRIBE with flags 0", [0x80, 0x06, 0x00, 0x01, 0x00, 0x01, (byte)'a', 0x01] },
        { "PUBACK with flags", [0x41, 0x02, 0x00, 0x01] },
        { "PINGRESP with a body", [0xD0, 0x01, 0x00] },
        { "reserved packet type 0", [0x00, 0x00] },
        { "invalid UTF-8 in a topic", [0x30, 0x04, 0x00, 0x02, 0xC3, 0x28] },
        { "U+0000 in a topic", [0x30, 0x04, 0x00, 0x02, (byte)'a', 0x00] },
        { "wildcard in a topic name", [0x30, 0x03, 0x00, 0x01, (byte)'#'] },
        { "string longer than the packet", [0x30, 0x03, 0x00, 0x09, (byte)'a'] },
        { "QoS 1 PUBLISH with packet id 0", [0x32, 0x05, 0x00, 0x01, (byte)'a', 0x00, 0x00] },
        { "property length past the end (5.0)", [0x30, 0x05, 0x00, 0x01, (byte)'a', 0x10, 0x01] },
        { "unknown property (5.0)", [0x30, 0x06, 0x00, 0x01, (byte)'a', 0x02, 0x7E, 0x00] },
        { "property value past its length (5.0)", [0x30, 0x07, 0x00, 0x01, (byte)'a', 0x02, 0x02, 0x00, 0x00] },
        { "duplicate property (5.0)", [0x30, 0x08, 0x00, 0x01, (byte)'a', 0x04, 0x01, 0x00, 0x01, 0x00] },
        { "CONNACK with reserved flags", [0x20, 0x03, 0x02, 0x00, 0x00] },
        { "PUBREC (QoS 2)", [0x50, 0x02, 0x00, 0x01] },
        { "AUTH", [0xF0, 0x00] },
        { "SUBACK without codes", [0x90, 0x03, 0x00, 0x01, 0x00] },
    };

    [Theory]
    [MemberData(nameof(MalformedPackets))]
    public void Malformed_input_throws_a_protocol_exception(string why, byte[] bytes)
    {
        var decoder = new MqttPacketDecoder(MqttProtocolVersion.V500);
        var e = Assert.Throws<MqttProtocolException>(() => decoder.TryDecode(bytes, out _, out _, out _));
        Assert.False(string.IsNullOrEmpty(e.Message), why);
    }

    [Fact]
    public void Packet_larger_than_the_maximum_is_refused_from_its_header()
    {
        var decoder = new MqttPacketDecoder(MqttProtocolVersion.V500, maximumPacketSize: 1024);
        // Only the fixed header of a 2,000-byte PUBLISH has arrived: refuse now, do not wait for (or buffer) the rest.
        var e = Assert.Throws<MqttProtocolException>(() => decoder.TryDecode([0x30, 0xCD, 0x0F], out _, out _, out _));
        Assert.Equal(MqttReasonCode.PacketTooLarge, e.ReasonCode);
    }

    [Fact]
    public void Header_announcing_256_MB_is_refused_with_the_default_limit_before_any_body_is_buffered()
    {
        var decoder = new MqttPacketDecoder(MqttProtocolVersion.V500, new MqttClientOptions().MaximumPacketSize);
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<MqttProtocolException>(() => decoder.TryDecode([0x30, 0xFF, 0xFF, 0xFF, 0x7F], out _, out _, out _));
        Assert.Equal(MqttReasonCode.PacketTooLarge, e.ReasonCode);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 64 * 1024);
        // A packet of exactly the limit is still accepted from its header (it waits for the rest).
        var atLimit = MqttClientOptions.DefaultMaximumPacketSize - 4;
        Assert.Equal(MqttDecodeStatus.NeedMoreData, decoder.TryDecode([0x30, (byte)(atLimit & 0x7F | 0x80), (byte)(atLimit >> 7 & 0x7F | 0x80), (byte)(atLimit >> 14)], out _, out _, out var length));
        Assert.Equal(MqttClientOptions.DefaultMaximumPacketSize, length);
    }

    [Fact]
    public void Encoding_refuses_strings_longer_than_65535_bytes()
    {
        var packet = new PublishPacket { Topic = new string('a', 70_000) };
        Assert.Throws<ArgumentException>(() => MqttPacketEncoder.Encode(packet, MqttProtocolVersion.V311));
    }

    private static MqttPacket RoundTrip(MqttPacketDecoder decoder, MqttPacket packet)
    {
        var bytes = MqttPacketEncoder.Encode(packet, decoder.Version);
        Assert.Equal(MqttDecodeStatus.Packet, decoder.TryDecode(bytes, out var decoded, out _, out _));
        return decoded!;
    }
}
