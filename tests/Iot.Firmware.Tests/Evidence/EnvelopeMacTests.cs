using System.Security.Cryptography;
using System.Text.Json;
using System.Text;
using Iot.Contract.Signing;
using Iot.Contract;
using Iot.Firmware.Tests.Fakes;
using Iot.Gateway.Configuration;
using Iot.Gateway.Journal;
using Iot.Gateway.Json;
using Iot.Gateway.Provisioning;
using Iot.Gateway.Runtime;
using Iot.Gateway.Telemetry;
using Iot.Gateway.Uplink;

namespace Iot.Firmware.Tests.Evidence;

/// <summary>HMAC-SHA256 on the core's Sha256, and telemetry envelopes authenticated with the device's evidence key.</summary>
public class EnvelopeMacTests
{
    private const long T0 = 1_795_000_020;
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray();

    private static byte[] Hex(string hex) => Convert.FromHexString(hex);

    private static string Mac(byte[] key, byte[] data)
    {
        var hmac = new HmacSha256(key);
        hmac.Append(data, 0, data.Length);
        var output = new byte[32];
        hmac.Finish(output, 0);
        return Convert.ToHexStringLower(output);
    }

    // RFC 4231, test cases 1 to 4, 6 and 7 (case 5 is truncated output).
    [Theory]
    [InlineData("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")]
    [InlineData("4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe")]
    [InlineData("0102030405060708090a0b0c0d0e0f10111213141516171819",
        "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e",
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2")]
    public void Matches_the_RFC_4231_test_vectors(string key, string data, string mac)
    {
        Assert.Equal(mac, Mac(Hex(key), Hex(data)));
    }

    [Fact]
    public void Pieces_and_reuse_give_the_same_mac_as_dotnet_and_allocate_nothing()
    {
        var data = Enumerable.Range(0, 5000).Select(i => (byte)(i * 31)).ToArray();
        var hmac = new HmacSha256(Key);
        var output = new byte[32];
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            hmac.Begin();
            for (int at = 0; at < data.Length; at += 97) hmac.Append(data, at, Math.Min(97, data.Length - at));
            hmac.Finish(output, 0);
            if (round > 0) Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Equal(HMACSHA256.HashData(Key, data), output);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("zz")]
    public void A_bad_hex_key_reads_as_none(string? text) => Assert.Null(HmacSha256.ParseHexKey(text));

    private static MinuteRecord[] Records(int n) => Enumerable.Range(0, n).Select(i =>
    {
        var r = new MinuteRecord { Seq = (uint)(100 + i), T = T0 + 60L * i, Dur = 60 };
        r.Set(Channel.Laeq, 61.25 + i);
        return r;
    }).ToArray();

    /// <summary>The fleet's rule: the payload ends in ,"mac":"{64 hex}"} and the MAC covers every byte before that comma.</summary>
    private static (byte[] Signed, string Mac) Split(byte[] payload)
    {
        var text = Encoding.UTF8.GetString(payload);
        Assert.EndsWith("\"}", text);
        int at = text.Length - TelemetryEncoder.MacSuffixBytes;
        Assert.Equal(",\"mac\":\"", text.Substring(at, 8));
        return (payload[..at], text.Substring(at + 8, 64));
    }

    [Fact]
    public void An_envelope_ends_in_the_mac_of_the_bytes_before_it_and_is_otherwise_unchanged()
    {
        var plain = new JsonWriter(new byte[4096]);
        Assert.Equal(3, TelemetryEncoder.WriteEnvelope(plain, "NS-0001", "1.4.2", 17, Records(3), 0, 3, T0 + 600));
        var signed = new JsonWriter(new byte[4096]);
        Assert.Equal(3, TelemetryEncoder.WriteEnvelope(signed, "NS-0001", "1.4.2", 17, Records(3), 0, 3, T0 + 600, new HmacSha256(Key)));

        var payload = signed.Buffer[..signed.Length];
        var (body, mac) = Split(payload);
        Assert.Equal(plain.Buffer[..(plain.Length - 1)], body); // the plain envelope without its closing brace
        Assert.Equal(Convert.ToHexStringLower(HMACSHA256.HashData(Key, body)), mac);
        using var doc = JsonDocument.Parse(payload);
        Assert.Equal(mac, doc.RootElement.GetProperty("mac").GetString());
        Assert.Equal(3, doc.RootElement.GetProperty("recs").GetArrayLength());
    }

    [Fact]
    public void The_mac_fits_within_the_buffer_and_the_16_KiB_limit()
    {
        var records = Records(200);
        foreach (var size in new[] { 300, 1000, 4096, 16 * 1024, 20 * 1024 })
        {
            var w = new JsonWriter(new byte[size]);
            int n = TelemetryEncoder.WriteEnvelope(w, "NS-0001", "1.4.2", 17, records, 0, 200, T0 + 600, new HmacSha256(Key));
            Assert.True(n > 0, $"buffer {size}");
            Assert.False(w.Overflowed);
            Assert.True(w.Length <= TelemetryEncoder.MaxBytes);
            var (body, mac) = Split(w.Buffer[..w.Length]);
            Assert.Equal(Convert.ToHexStringLower(HMACSHA256.HashData(Key, body)), mac);
            Assert.Equal(n, JsonDocument.Parse(w.Buffer.AsMemory(0, w.Length)).RootElement.GetProperty("recs").GetArrayLength());
        }
    }

    [Fact]
    public void Writing_an_authenticated_envelope_allocates_nothing()
    {
        var records = Records(20);
        var w = new JsonWriter(new byte[4096]);
        var hmac = new HmacSha256(Key);
        TelemetryEncoder.WriteEnvelope(w, "NS-0001", "1.4.2", 17, records, 0, 20, T0 + 600, hmac);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) TelemetryEncoder.WriteEnvelope(w, "NS-0001", "1.4.2", 17, records, 0, 20, T0 + 600, hmac);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void The_uplink_signs_every_envelope_once_it_has_a_key()
    {
        var clock = new FakeClock { UtcSeconds = T0 + 600 };
        var mqtt = new FakeMqttLink();
        var journal = new RecordJournal(new LittleFsModel());
        journal.Open();
        for (int m = 0; m < 3; m++)
        {
            var r = new MinuteRecord { T = T0 + 60L * m };
            r.Set(Channel.Laeq, 60 + m);
            journal.Append(r);
        }
        var uplink = new TelemetryUplink(mqtt, journal, clock, new DeviceTopics("NS-0001"), "NS-0001", "1.4.2", 17, 2, new byte[4096], 30_000);
        Assert.False(uplink.Authenticated);
        uplink.Step();
        Assert.DoesNotContain("\"mac\"", mqtt.Published[0].Payload);
        mqtt.Acknowledge(mqtt.Published[0].Id);

        uplink.UseEvidenceKey(Key);
        uplink.Step();
        var (body, mac) = Split(Encoding.UTF8.GetBytes(mqtt.Published[1].Payload));
        Assert.Equal(Convert.ToHexStringLower(HMACSHA256.HashData(Key, body)), mac);
    }

    [Fact]
    public void The_key_is_kept_with_the_credentials_and_a_copy_without_one_still_loads()
    {
        var flash = new FakeFlash(8 * 1024);
        var store = new CredentialStore(flash);
        store.Save("NS-0001", "NS-0001", "pw");
        Assert.True(store.TryLoad("NS-0001", out _, out _, out var none));
        Assert.Null(none);

        store.Save("NS-0001", "NS-0001", new string('p', CredentialStore.MaxFieldLength), Key);
        Assert.True(new CredentialStore(flash).TryLoad("NS-0001", out var user, out var password, out var key));
        Assert.Equal(("NS-0001", 128), (user, password.Length));
        Assert.Equal(Key, key);
    }

    [Theory]
    [InlineData("\"key\":\"abcd\"")]
    [InlineData("\"key\":\"" + "zz" + "0000000000000000000000000000000000000000000000000000000000000000" + "\"")]
    [InlineData("\"key\":42")]
    [InlineData("\"key\":{\"a\":1}")]
    public void Credentials_with_a_damaged_key_are_refused_whole(string member)
    {
        var json = Encoding.UTF8.GetBytes("{\"v\":1,\"dev\":\"NS-0001\",\"user\":\"u\",\"password\":\"p\"," + member + "}");
        Assert.False(CredentialStore.TryRead(json, 0, json.Length, "NS-0001", out _, out _, out _));
    }

    [Fact]
    public void A_gateway_claimed_with_a_key_signs_its_telemetry_and_keeps_the_key_across_reboots()
    {
        const string Dev = "NS-0001", Secret = "bootstrap-secret-0123456789abcdefghijklmnopq";
        var clock = new FakeClock { UtcSeconds = T0 };
        var mqtt = new FakeMqttLink { IsConnected = false, Accounts = new() { ["boot-" + Dev] = Secret, [Dev] = "own" } };
        var journalFiles = new LittleFsModel();
        FakeFlash configFlash = new(8 * 1024), bootFlash = new(8 * 1024), credentialFlash = new(8 * 1024);
        GatewayRuntime Boot() => new(new GatewayHardware
        {
            Clock = clock, Mqtt = mqtt, Inbox = mqtt, MeterLink = new FakeModbusMeter { NoiseLevel = 65.0 },
            JournalFiles = journalFiles, ConfigFlash = configFlash, BootFlash = bootFlash, CredentialFlash = credentialFlash,
        }, new GatewayRuntimeOptions
        {
            DeviceId = Dev, Firmware = "1.4.2", WarmUpSeconds = 0, BootstrapSecret = Secret, ReconnectBaseMs = 1000, ReconnectCapMs = 4000, UplinkBatch = 5,
        });
        int acked = 0;
        void Run(GatewayRuntime g, int seconds)
        {
            for (int i = 0; i < seconds; i++)
            {
                g.Tick();
                for (; acked < mqtt.Published.Count; acked++) mqtt.Acknowledge(mqtt.Published[acked].Id);
                clock.UtcSeconds++;
                clock.MonotonicMs += 1000;
            }
        }

        var gateway = Boot();
        Run(gateway, 70);
        Assert.False(gateway.TelemetryAuthenticated);
        mqtt.Deliver($"iot/v1/{Dev}/prov/credentials",
            JsonSerializer.Serialize(new { v = 1, dev = Dev, user = Dev, password = "own", key = Convert.ToHexStringLower(Key) }));
        Run(gateway, 130);
        Assert.Equal(LoginKind.Claimed, gateway.Login);
        Assert.True(gateway.TelemetryAuthenticated);
        var telemetry = mqtt.Published.Where(p => p.Topic.EndsWith("/telemetry")).ToList();
        Assert.NotEmpty(telemetry);
        foreach (var t in telemetry)
        {
            var (body, mac) = Split(Encoding.UTF8.GetBytes(t.Payload));
            Assert.Equal(Convert.ToHexStringLower(HMACSHA256.HashData(Key, body)), mac);
        }

        gateway.Shutdown();
        Assert.True(Boot().TelemetryAuthenticated);
    }

    [Fact]
    public void A_configured_key_must_be_64_hex_digits()
    {
        var hw = new GatewayHardware
        {
            Clock = new FakeClock { UtcSeconds = T0 }, Mqtt = new FakeMqttLink(), JournalFiles = new LittleFsModel(),
            ConfigFlash = new FakeFlash(8 * 1024), BootFlash = new FakeFlash(8 * 1024),
        };
        Assert.Throws<ArgumentException>(() => new GatewayRuntime(hw, new GatewayRuntimeOptions { DeviceId = "NS-0001", UserName = "u", Password = "p", EvidenceKey = "abcd" }));
        var ok = new GatewayRuntime(hw, new GatewayRuntimeOptions { DeviceId = "NS-0001", UserName = "u", Password = "p", EvidenceKey = Convert.ToHexStringLower(Key) });
        Assert.True(ok.TelemetryAuthenticated);
    }
}
