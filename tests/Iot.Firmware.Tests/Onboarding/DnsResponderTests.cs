using Iot.Gateway.Onboarding;

namespace Iot.Firmware.Tests.Onboarding;

/// <summary>The hotspot's DNS: every A query answered with the gateway's address (RFC 1035 layout), hostile packets dropped.</summary>
public class DnsResponderTests
{
    private static readonly byte[] Gateway = [192, 168, 4, 1];
    private readonly DnsResponder _dns = new(Gateway);

    // A standard query as a stub resolver sends it: id, flags (RD), one question, optionally an EDNS OPT record.
    private static byte[] Query(string name, int type = 1, int klass = 1, int flags = 0x0100, bool edns = false)
    {
        var bytes = new List<byte> { 0xBE, 0xEF, (byte)(flags >> 8), (byte)flags, 0, 1, 0, 0, 0, 0, 0, (byte)(edns ? 1 : 0) };
        foreach (var label in name.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(label.Select(c => (byte)c));
        }
        bytes.AddRange(new byte[] { 0, (byte)(type >> 8), (byte)type, (byte)(klass >> 8), (byte)klass });
        if (edns) bytes.AddRange(new byte[] { 0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0 });
        return [.. bytes];
    }

    private byte[] Answer(byte[] query)
    {
        var response = new byte[512];
        int n = _dns.Answer(query, query.Length, response);
        return response[..n];
    }

    [Theory]
    [InlineData("connectivitycheck.gstatic.com")]
    [InlineData("captive.apple.com")]
    [InlineData("connect.rom.miui.com")]
    [InlineData("www.msftconnecttest.com")]
    public void Answers_every_A_query_with_the_gateway(string name)
    {
        var query = Query(name, edns: true);
        var r = Answer(query);
        int questionEnd = 12 + name.Length + 2 + 4;
        Assert.Equal(questionEnd + 16, r.Length);
        Assert.Equal(new byte[] { 0xBE, 0xEF }, r[..2]);              // same id
        Assert.Equal(0x85, r[2]);                                       // QR, AA, RD copied
        Assert.Equal(0x00, r[3]);                                       // RA clear, NOERROR
        Assert.Equal(new byte[] { 0, 1, 0, 1, 0, 0, 0, 0 }, r[4..12]); // 1 question, 1 answer, no EDNS echoed
        Assert.Equal(query[12..questionEnd], r[12..questionEnd]);       // the question repeated
        Assert.Equal(new byte[] { 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, DnsResponder.AnswerTtlSeconds, 0, 4, 192, 168, 4, 1 }, r[questionEnd..]);
        Assert.Equal(1, _dns.Answered);
    }

    [Theory]
    [InlineData(28)]  // AAAA: no IPv6 here, the phone falls back to IPv4
    [InlineData(16)]  // TXT
    [InlineData(65)]  // HTTPS
    public void Other_types_get_an_empty_answer(int type)
    {
        var r = Answer(Query("captive.apple.com", type));
        Assert.Equal(0x85, r[2]);
        Assert.Equal(0, r[3]);
        Assert.Equal(0, r[7]);
        Assert.Equal(12 + 19 + 4, r.Length);
    }

    [Fact]
    public void Other_opcodes_are_not_implemented()
    {
        var r = Answer(Query("example.com", flags: 2 << 11));
        Assert.Equal(0x80 | (2 << 3) | 0x04, r[2]);
        Assert.Equal(4, r[3] & 0x0F);
        Assert.Equal(0, r[7]);
    }

    public static TheoryData<string, byte[]> Malformed()
    {
        var ok = Query("captive.apple.com");
        var data = new TheoryData<string, byte[]>
        {
            { "empty", [] },
            { "short header", ok[..11] },
            { "truncated name", ok[..20] },
            { "no type and class", ok[..(ok.Length - 3)] },
            { "a response", Flip(ok, 2, 0x80) },
            { "two questions", Set(ok, 5, 2) },
            { "no question", Set(ok, 5, 0) },
            { "answers in a query", Set(ok, 7, 1) },
            { "a compression pointer", Set(ok, 12, 0xC0) },
            { "a label past the end", Set(ok, 12, 63) },
            { "oversized", [.. ok, .. new byte[600]] },
        };
        var longName = new List<byte>(ok[..12]);
        for (int i = 0; i < 5; i++) { longName.Add(63); longName.AddRange(new byte[63]); }
        longName.AddRange(new byte[] { 0, 0, 1, 0, 1 });
        data.Add("a name over 255 bytes", [.. longName]);
        return data;
    }

    private static byte[] Set(byte[] b, int at, byte value) { var c = (byte[])b.Clone(); c[at] = value; return c; }
    private static byte[] Flip(byte[] b, int at, byte bits) { var c = (byte[])b.Clone(); c[at] |= bits; return c; }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Drops_malformed_packets(string what, byte[] packet)
    {
        Assert.True(Answer(packet).Length == 0, what);
        Assert.Equal(1, _dns.Dropped);
    }

    [Fact]
    public void A_length_beyond_the_buffer_is_dropped_not_read()
    {
        var query = Query("a.b");
        Assert.Equal(0, _dns.Answer(query, query.Length + 10, new byte[512]));
        Assert.Equal(0, _dns.Answer(query, query.Length, new byte[100]));
    }

    [Fact]
    public void Random_packets_never_throw_and_answers_fit_512_bytes()
    {
        var random = new Random(53);
        var response = new byte[512];
        for (int run = 0; run < 20000; run++)
        {
            var packet = run % 2 == 0 ? Query("x" + new string('a', random.Next(0, 60)) + ".example.com", random.Next(0, 300)) : new byte[random.Next(0, 520)];
            if (run % 2 == 1) random.NextBytes(packet);
            else packet[random.Next(packet.Length)] = (byte)random.Next(256);
            int n = _dns.Answer(packet, packet.Length, response);
            Assert.InRange(n, 0, 512);
        }
    }
}
