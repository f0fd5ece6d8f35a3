using FsCheck;
using FsCheck.Fluent;
using Iot.Mqtt.Internal.Formatter;
using Iot.Mqtt.Internal.Packets;
using Xunit;

namespace Iot.Mqtt.Tests.Formatter;

/// <summary>Property tests: random valid packets round-trip; random, truncated and bit-flipped bytes
/// either decode or throw <see cref="MqttProtocolException"/>, and the decoder always terminates.</summary>
public sealed class DecoderPropertyTests
{
    private static readonly MqttProtocolVersion[] Versions = [MqttProtocolVersion.V311, MqttProtocolVersion.V500];

    // A seed drives a System.Random that builds the packet: FsCheck explores seeds, and a failing seed
    // reproduces the packet exactly.
    private static readonly Arbitrary<int> Seeds = Arb.From(Gen.Choose(0, int.MaxValue));

    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(500);

    [Fact]
    public void Random_packets_round_trip()
    {
        Prop.ForAll(Seeds, seed =>
        {
            var random = new Random(seed);
            var version = Versions[random.Next(2)];
            var packet = RandomPacket(random, version);
            var bytes = MqttPacketEncoder.Encode(packet, version);
            var status = new MqttPacketDecoder(version).TryDecode(bytes, out var decoded, out var consumed, out _);
            return status == MqttDecodeStatus.Packet && consumed == bytes.Length
                && bytes.AsSpan().SequenceEqual(MqttPacketEncoder.Encode(decoded!, version));
        }).Check(Runs);
    }

    [Fact]
    public void Random_bytes_decode_or_throw_a_protocol_exception()
    {
        var bytes = Arb.From(Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b)));
        Prop.ForAll(bytes, input => Versions.All(v => DecodesOrThrowsProtocolException(input, v))).Check(Runs);
    }

    [Fact]
    public void Random_bytes_after_a_plausible_header_decode_or_throw_a_protocol_exception()
    {
        // Pure noise mostly fails on the header; a valid type and length reach the body decoders.
        Prop.ForAll(Seeds, seed =>
        {
            var random = new Random(seed);
            var body = new byte[random.Next(0, 64)];
            random.NextBytes(body);
            var header = (byte)((random.Next(1, 16) << 4) | (random.Next(4) == 0 ? random.Next(16) : random.Next(2) * 2));
            var input = new byte[2 + body.Length];
            input[0] = header;
            input[1] = (byte)body.Length;
            body.CopyTo(input, 2);
            return Versions.All(v => DecodesOrThrowsProtocolException(input, v));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(3000));
    }

    [Fact]
    public void Truncated_and_bit_flipped_packets_decode_or_throw_a_protocol_exception()
    {
        Prop.ForAll(Seeds, seed =>
        {
            var random = new Random(seed);
            var version = Versions[random.Next(2)];
            var bytes = MqttPacketEncoder.Encode(RandomPacket(random, version), version);

            var truncated = bytes[..random.Next(bytes.Length)];
            var flipped = (byte[])bytes.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
                flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
            // A flipped length byte can make a shorter packet: the decoder must then stop at its end.
            return DecodesOrThrowsProtocolException(truncated, version) && DecodesOrThrowsProtocolException(flipped, version);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2000));
    }

    /// <summary>Decodes packets from the buffer until it needs more bytes; any exception other than
    /// MqttProtocolException fails the property. Each packet consumes at least 2 bytes, so this ends.</summary>
    private static bool DecodesOrThrowsProtocolException(byte[] input, MqttProtocolVersion version)
    {
        var decoder = new MqttPacketDecoder(version, maximumPacketSize: 1 << 20);
        var offset = 0;
        try
        {
            while (decoder.TryDecode(input.AsSpan(offset), out _, out var consumed, out _) == MqttDecodeStatus.Packet)
            {
                if (consumed < 2) return false;
                offset += consumed;
            }
            return true;
        }
        catch (MqttProtocolException)
        {
            return true;
        }
    }

    internal static MqttPacket RandomPacket(Random r, MqttProtocolVersion version)
    {
        var v5 = version == MqttProtocolVersion.V500;
        MqttProperties? Props() => v5 && r.Next(2) == 0 ? RandomProperties(r) : null;
        var qos = (MqttQualityOfService)r.Next(2);
        switch (r.Next(11))
        {
            case 0:
                var will = r.Next(2) == 0;
                var password = r.Next(2) == 0 ? Bytes(r, 20) : null;
                return new ConnectPacket
                {
                    ProtocolVersion = version,
                    ClientId = Text(r),
                    CleanStart = r.Next(2) == 0,
                    KeepAliveSeconds = (ushort)r.Next(65536),
                    // 3.1.1 allows a password only with a user name.
                    UserName = r.Next(2) == 0 || (password is not null && !v5) ? Text(r) : null,
                    Password = password,
                    WillTopic = will ? Text(r) : null,
                    WillPayload = will ? Bytes(r, 50) : null,
                    WillQos = will ? qos : 0,
                    WillRetain = will && r.Next(2) == 0,
                    WillProperties = will ? Props() : null,
                    Properties = Props(),
                };
            case 1:
                return new ConnAckPacket { SessionPresent = r.Next(2) == 0, ReasonCode = (byte)r.Next(256), Properties = Props() };
            case 2:
                return new PublishPacket
                {
                    Topic = TopicName(r), Payload = Bytes(r, 300), Qos = qos, Retain = r.Next(2) == 0,
                    Dup = qos != 0 && r.Next(2) == 0, PacketId = qos != 0 ? (ushort)r.Next(1, 65536) : (ushort)0, Properties = Props(),
                };
            case 3:
                return new PubAckPacket
                {
                    PacketId = (ushort)r.Next(65536),
                    ReasonCode = v5 ? (MqttReasonCode)r.Next(256) : MqttReasonCode.Success,
                    Properties = Props(),
                };
            case 4:
                var subscribe = new SubscribePacket { PacketId = (ushort)r.Next(1, 65536), Properties = Props() };
                for (var i = r.Next(1, 5); i > 0; i--)
                {
                    subscribe.Filters.Add(v5
                        ? new SubscribeFilter(Text(r), (MqttQualityOfService)r.Next(3), r.Next(2) == 0, r.Next(2) == 0, (MqttRetainHandling)r.Next(3))
                        : new SubscribeFilter(Text(r), (MqttQualityOfService)r.Next(3)));
                }
                return subscribe;
            case 5:
                var subAck = new SubAckPacket { PacketId = (ushort)r.Next(65536), Properties = Props() };
                byte[] codes311 = [0, 1, 2, 0x80];
                for (var i = r.Next(1, 5); i > 0; i--) subAck.ReasonCodes.Add((MqttReasonCode)(v5 ? r.Next(256) : codes311[r.Next(4)]));
                return subAck;
            case 6:
                var unsubscribe = new UnsubscribePacket { PacketId = (ushort)r.Next(1, 65536), Properties = Props() };
                for (var i = r.Next(1, 5); i > 0; i--) unsubscribe.Filters.Add(Text(r));
                return unsubscribe;
            case 7:
                var unsubAck = new UnsubAckPacket { PacketId = (ushort)r.Next(65536), Properties = Props() };
                if (v5)
                {
                    for (var i = r.Next(1, 5); i > 0; i--) unsubAck.ReasonCodes.Add((MqttReasonCode)r.Next(256));
                }
                return unsubAck;
            case 8:
                return PingReqPacket.Instance;
            case 9:
                return PingRespPacket.Instance;
            default:
                return new DisconnectPacket { ReasonCode = v5 ? (MqttReasonCode)r.Next(256) : 0, Properties = Props() };
        }
    }

    private static MqttProperties RandomProperties(Random r)
    {
        var p = new MqttProperties();
        if (r.Next(3) == 0) p.PayloadFormatIndicator = (byte)r.Next(2);
        if (r.Next(3) == 0) p.MessageExpiryInterval = (uint)r.NextInt64(uint.MaxValue);
        if (r.Next(3) == 0) p.ContentType = Text(r);
        if (r.Next(3) == 0) p.CorrelationData = Bytes(r, 10);
        if (r.Next(3) == 0) p.SubscriptionIdentifiers = [(uint)r.Next(1, 268_435_456), (uint)r.Next(1, 200)];
        if (r.Next(3) == 0) p.SessionExpiryInterval = (uint)r.NextInt64(uint.MaxValue);
        if (r.Next(3) == 0) p.AssignedClientIdentifier = Text(r);
        if (r.Next(3) == 0) p.ServerKeepAlive = (ushort)r.Next(65536);
        if (r.Next(3) == 0) p.ReasonString = Text(r);
        if (r.Next(3) == 0) p.ReceiveMaximum = (ushort)r.Next(1, 65536);
        if (r.Next(3) == 0) p.TopicAliasMaximum = (ushort)r.Next(65536);
        if (r.Next(3) == 0) p.MaximumPacketSize = (uint)r.Next(1, int.MaxValue);
        if (r.Next(3) == 0) p.UserProperties = [new(Text(r), Text(r))];
        if (r.Next(3) == 0) p.SharedSubscriptionAvailable = (byte)r.Next(2);
        // Empty properties encode like none at all; keep one so the packet's layout is really exercised.
        p.RequestProblemInformation = (byte)r.Next(2);
        return p;
    }

    private static byte[] Bytes(Random r, int max)
    {
        var bytes = new byte[r.Next(max)];
        r.NextBytes(bytes);
        return bytes;
    }

    // Strings with multi-byte characters, never U+0000 (forbidden) and no lone surrogates.
    private static string Text(Random r)
    {
        const string alphabet = "abcXYZ019/+#$-_ äöü€漢字🙂";
        var length = r.Next(0, 12);
        var text = new System.Text.StringBuilder();
        for (var i = 0; i < length; i++)
        {
            var at = r.Next(alphabet.Length);
            if (char.IsSurrogate(alphabet[at])) text.Append("🙂");
            else text.Append(alphabet[at]);
        }
        return text.ToString();
    }

    private static string TopicName(Random r)
    {
        var topic = Text(r).Replace("+", "p").Replace("#", "h");
        return topic.Length == 0 ? "t" : topic;
    }
}
