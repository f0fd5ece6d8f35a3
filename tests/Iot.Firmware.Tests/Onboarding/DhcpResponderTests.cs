using System.Text;
using Iot.Gateway.Onboarding;

namespace Iot.Firmware.Tests.Onboarding;

/// <summary>The hotspot's DHCP server: leases, the options that make a phone open the page, and hostile packets dropped.</summary>
public class DhcpResponderTests
{
    private static readonly byte[] Gateway = [192, 168, 4, 1];
    private const string Portal = "http://192.168.4.1/";
    private readonly DhcpResponder _dhcp = new(Gateway, 2, Portal);

    private static readonly byte[] Phone = [0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0x01];
    private static readonly byte[] Laptop = [0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0x02];
    private static readonly byte[] Tablet = [0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0x03];

    // A client message as RFC 2131 lays it out: op, htype, hlen, hops, xid, secs, flags, ciaddr, yiaddr, siaddr,
    // giaddr, chaddr (16), sname (64), file (128), magic cookie, options.
    private static byte[] Message(byte type, byte[] mac, byte[]? requested = null, byte[]? server = null, byte[]? ciaddr = null)
    {
        var m = new byte[236];
        m[0] = 1; m[1] = 1; m[2] = 6;
        m[4] = 0x12; m[5] = 0x34; m[6] = 0x56; m[7] = 0x78;
        m[10] = 0x80; // broadcast
        ciaddr?.CopyTo(m, 12);
        mac.CopyTo(m, 28);
        var options = new List<byte> { 99, 130, 83, 99, 53, 1, type };
        if (requested != null) options.AddRange([50, 4, .. requested]);
        if (server != null) options.AddRange([54, 4, .. server]);
        options.AddRange(new byte[] { 55, 4, 1, 3, 6, 114, 255 });
        return [.. m, .. options];
    }

    private byte[] Answer(byte[] request)
    {
        var response = new byte[DhcpResponder.MaxMessageBytes];
        int n = _dhcp.Answer(request, request.Length, response);
        return response[..n];
    }

    private static Dictionary<int, byte[]> Options(byte[] reply)
    {
        Assert.Equal(new byte[] { 99, 130, 83, 99 }, reply[236..240]);
        var options = new Dictionary<int, byte[]>();
        int at = 240;
        while (reply[at] != 255)
        {
            options[reply[at]] = reply[(at + 2)..(at + 2 + reply[at + 1])];
            at += 2 + reply[at + 1];
        }
        return options;
    }

    [Fact]
    public void Offers_an_address_and_names_the_gateway_as_router_DNS_and_portal()
    {
        var offer = Answer(Message(DhcpResponder.Discover, Phone));
        Assert.True(offer.Length >= 300);
        Assert.Equal(2, offer[0]);                                        // BOOTREPLY
        Assert.Equal(new byte[] { 0x12, 0x34, 0x56, 0x78 }, offer[4..8]); // xid
        Assert.Equal(0x80, offer[10]);                                    // broadcast flag kept
        Assert.Equal(new byte[] { 192, 168, 4, 2 }, offer[16..20]);       // yiaddr
        Assert.Equal(Phone, offer[28..34]);
        var o = Options(offer);
        Assert.Equal(new byte[] { DhcpResponder.Offer }, o[53]);
        Assert.Equal(Gateway, o[54]);
        Assert.Equal(new byte[] { 255, 255, 255, 0 }, o[1]);
        Assert.Equal(Gateway, o[3]);
        Assert.Equal(Gateway, o[6]);
        Assert.Equal(new byte[] { 0, 0, 0x0E, 0x10 }, o[51]);             // 3600 s
        Assert.Equal(Portal, Encoding.ASCII.GetString(o[114]));          // RFC 8910
    }

    [Fact]
    public void Acknowledges_the_offered_address_and_keeps_it_for_the_same_client()
    {
        Answer(Message(DhcpResponder.Discover, Phone));
        var ack = Answer(Message(DhcpResponder.Request, Phone, requested: [192, 168, 4, 2], server: Gateway));
        Assert.Equal(new byte[] { DhcpResponder.Ack }, Options(ack)[53]);
        Assert.Equal(new byte[] { 192, 168, 4, 2 }, ack[16..20]);
        Assert.Equal(new byte[] { 192, 168, 4, 2 }, _dhcp.LeaseOf(Phone));

        // A renewal (ciaddr, no option 50) and a second DISCOVER keep the same address.
        Assert.Equal(new byte[] { DhcpResponder.Ack }, Options(Answer(Message(DhcpResponder.Request, Phone, ciaddr: [192, 168, 4, 2])))[53]);
        Assert.Equal(new byte[] { 192, 168, 4, 2 }, Answer(Message(DhcpResponder.Discover, Phone))[16..20]);
        Assert.Equal(new byte[] { 192, 168, 4, 3 }, Answer(Message(DhcpResponder.Discover, Laptop))[16..20]);
    }

    [Fact]
    public void Refuses_an_address_it_did_not_offer_with_a_NAK()
    {
        // A phone that was on another network asks for its old address (INIT-REBOOT): NAK, so it starts over.
        var nak = Answer(Message(DhcpResponder.Request, Phone, requested: [10, 0, 0, 7]));
        Assert.Equal(new byte[] { DhcpResponder.Nak }, Options(nak)[53]);
        Assert.Equal(new byte[4], nak[16..20]);
        Answer(Message(DhcpResponder.Discover, Phone));
        Assert.Equal(new byte[] { DhcpResponder.Nak }, Options(Answer(Message(DhcpResponder.Request, Phone, requested: [192, 168, 4, 3])))[53]);
    }

    [Fact]
    public void Stays_silent_when_the_client_chose_another_server_or_the_pool_is_full()
    {
        Assert.Empty(Answer(Message(DhcpResponder.Request, Phone, requested: [192, 168, 1, 9], server: [192, 168, 1, 1])));
        Answer(Message(DhcpResponder.Discover, Phone));
        Answer(Message(DhcpResponder.Discover, Laptop));
        Assert.Empty(Answer(Message(DhcpResponder.Discover, Tablet)));
        Assert.Empty(Answer(Message(DhcpResponder.Release, Laptop)));
        Assert.Null(_dhcp.LeaseOf(Laptop));
        Assert.Equal(new byte[] { 192, 168, 4, 3 }, Answer(Message(DhcpResponder.Discover, Tablet))[16..20]);
    }

    [Fact]
    public void Answers_INFORM_without_an_address()
    {
        var ack = Answer(Message(DhcpResponder.Inform, Phone, ciaddr: [192, 168, 4, 9]));
        var o = Options(ack);
        Assert.Equal(new byte[] { DhcpResponder.Ack }, o[53]);
        Assert.Equal(new byte[4], ack[16..20]);
        Assert.Equal(new byte[] { 192, 168, 4, 9 }, ack[12..16]);
        Assert.False(o.ContainsKey(51));
        Assert.Equal(Gateway, o[6]);
    }

    public static TheoryData<string, byte[]> Malformed()
    {
        var ok = Message(DhcpResponder.Discover, Phone);
        byte[] Set(int at, byte value) { var c = (byte[])ok.Clone(); c[at] = value; return c; }
        return new TheoryData<string, byte[]>
        {
            { "empty", [] },
            { "shorter than the fixed fields", ok[..239] },
            { "a reply", Set(0, 2) },
            { "not Ethernet", Set(1, 6) },
            { "a long hardware address", Set(2, 16) },
            { "no magic cookie", Set(236, 0) },
            { "no message type", [.. ok[..240], 255] },
            { "no end option", ok[..(ok.Length - 1)] },
            { "an option past the end", [.. ok[..240], 53, 1, 1, 12, 200, 1, 2] },
            { "a message type of two bytes", [.. ok[..240], 53, 2, 1, 1, 255] },
            { "a decline", Set(242, 4) },
            { "oversized", [.. ok, .. new byte[400]] },
            { "no hardware address", Message(DhcpResponder.Discover, new byte[6]) },
        };
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Drops_malformed_packets(string what, byte[] packet)
    {
        Assert.True(Answer(packet).Length == 0, what);
    }

    [Fact]
    public void Random_packets_never_throw()
    {
        var random = new Random(67);
        var response = new byte[DhcpResponder.MaxMessageBytes];
        for (int run = 0; run < 20000; run++)
        {
            byte[] packet;
            if (run % 2 == 0)
            {
                packet = Message((byte)random.Next(0, 10), [2, 0, 0, 0, 0, (byte)random.Next(256)]);
                packet[random.Next(240, packet.Length)] = (byte)random.Next(256);
            }
            else
            {
                packet = new byte[random.Next(0, 600)];
                random.NextBytes(packet);
                if (packet.Length > 240) { packet[0] = 1; packet[1] = 1; packet[2] = 6; packet[236] = 99; packet[237] = 130; packet[238] = 83; packet[239] = 99; }
            }
            int n = _dhcp.Answer(packet, packet.Length, response);
            Assert.InRange(n, 0, DhcpResponder.MaxMessageBytes);
        }
    }
}
