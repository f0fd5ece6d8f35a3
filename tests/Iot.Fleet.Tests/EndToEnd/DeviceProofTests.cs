using System.Net.Http.Json;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text;
using Iot.Contract.Signing;
using Iot.Contract;
using Iot.Gateway.Json;
using Iot.Gateway.Telemetry;
using Xunit;
using static Iot.Fleet.Tests.EndToEnd.PipelineFixture;

namespace Iot.Fleet.Tests.EndToEnd;

/// <summary>Readings the device vouches for (issue 14): telemetry authenticated with the device's evidence key is
/// verified at ingest and kept with its proof; a forged one (wrong key, altered, another device's, MAC stripped) is
/// rejected with an alert; a replay is stored once; a device without a key is accepted as unproven.</summary>
[Collection(PipelineCollection.Name)]
public sealed class DeviceProofTests(PipelineFixture pipeline)
{
    private const string Clean = """{"fume":0.3,"fan":1,"pur":1}""";

    private async Task<byte[]> IssueKey(string device)
    {
        using var http = pipeline.Fleet.Http();
        var answer = await http.PostAsync($"/api/devices/{device}/evidence-key", null);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var body = (await answer.Content.ReadFromJsonAsync<JsonObject>())!;
        return Convert.FromHexString((string)body["key"]!);
    }

    /// <summary>Appends ,"mac":"{hex}"} in place of the closing brace, as the firmware does.</summary>
    private static byte[] Sign(byte[] envelope, byte[] key)
    {
        var body = envelope[..^1];
        return [.. body, .. Encoding.ASCII.GetBytes($",\"mac\":\"{Convert.ToHexStringLower(HMACSHA256.HashData(key, body))}\"}}")];
    }

    /// <summary>An envelope written by the gateway firmware's own encoder and HMAC.</summary>
    private static byte[] FirmwareEnvelope(string device, byte[] key, uint firstSeq, long t, int count)
    {
        var records = Enumerable.Range(0, count).Select(i =>
        {
            var r = new MinuteRecord { Seq = firstSeq + (uint)i, T = t + 60L * i, Dur = 60 };
            r.Set(Channel.Fume, 0.3);
            r.Set(Channel.Fan, 1);
            r.Set(Channel.Pur, 1);
            return r;
        }).ToArray();
        var w = new JsonWriter(new byte[4096]);
        Assert.Equal(count, TelemetryEncoder.WriteEnvelope(w, device, "1.4.2", 3, records, 0, count, t + 600, new HmacSha256(key)));
        return w.Buffer[..w.Length];
    }

    [Fact]
    public async Task Authenticated_readings_are_kept_with_their_proof_and_forged_ones_are_rejected_with_an_alert()
    {
        await pipeline.Register("H-PROOF", "fume", "GW-PROOF-1", "GW-PROOF-2");
        var key1 = await IssueKey("GW-PROOF-1");
        var key2 = await IssueKey("GW-PROOF-2");
        await using var gateway = await pipeline.Gateway("GW-PROOF-1");
        var t = Minute(DateTimeOffset.UtcNow.AddMinutes(-50));
        const string Topic = "iot/v1/GW-PROOF-1/telemetry";

        var genuine = FirmwareEnvelope("GW-PROOF-1", key1, 1, t, 3);
        await gateway.PublishAsync(Topic, genuine);
        await pipeline.Eventually(() => Task.FromResult(pipeline.JournalCount("GW-PROOF-1")), n => n == 3, "the authenticated records");
        var stored = await pipeline.GetObject("/api/devices/GW-PROOF-1/records/2/message");
        Assert.Equal("hmac-sha256", (string)stored["proof"]!);
        Assert.True((bool)stored["proofChecks"]!);
        Assert.Equal(genuine, Convert.FromBase64String((string)stored["payload"]!));
        Assert.Equal(genuine.Length - 74, (int)stored["signedLength"]!);

        // A replay (the network, or someone with the device's broker login) is the same (dev, seq): stored once.
        await gateway.PublishAsync(Topic, genuine);
        // Forgeries on the device's own topic, each with records 10+ that must never be stored.
        var wrongKey = Sign(Envelope("GW-PROOF-1", (10, t + 600, 0, Clean)), RandomNumberGenerator.GetBytes(32));
        var altered = FirmwareEnvelope("GW-PROOF-1", key1, 11, t + 660, 1);
        var at = Encoding.ASCII.GetString(altered).IndexOf("\"fume\":0.3", StringComparison.Ordinal) + 9;
        altered[at] = (byte)'1'; // fume 0.3 → 0.1: valid JSON, wrong MAC
        var otherDevicesKey = Sign(Envelope("GW-PROOF-1", (12, t + 720, 0, Clean)), key2);
        var stripped = Envelope("GW-PROOF-1", (13, t + 780, 0, Clean));
        foreach (var forged in new[] { wrongKey, altered, otherDevicesKey, stripped }) await gateway.PublishAsync(Topic, forged);
        // Another device's genuine envelope published on this device's topic is refused for its `dev` already.
        await gateway.PublishAsync(Topic, Sign(Envelope("GW-PROOF-2", (14, t + 840, 0, Clean)), key2));

        var rejections = await pipeline.Eventually(() => pipeline.Get("/api/devices/GW-PROOF-1/rejections"), r => r.Count >= 5, "the rejected forgeries");
        var reasons = rejections.Select(r => (string)r!["reason"]!).ToList();
        Assert.Equal(4, reasons.Count(r => r.StartsWith("device proof failed", StringComparison.Ordinal)));
        Assert.Contains(reasons, r => r.Contains("no `mac`"));
        Assert.Contains(reasons, r => r.Contains("does not match"));
        Assert.Contains(reasons, r => r.Contains("does not match the topic"));
        var alerts = await pipeline.Eventually(() => pipeline.Get("/api/alerts?site=H-PROOF&rule=monitor.unauthenticated"), a => a.Count == 1, "the alert");
        Assert.Equal("GW-PROOF-1", (string)alerts[0]!["devices"]![0]!);
        Assert.Equal(3, pipeline.JournalCount("GW-PROOF-1"));
        Assert.Equal(4, pipeline.RowCount("events", "GW-PROOF-1"));
        // No lead from the readings (the gateway's silence in business hours is OfflineWatch's own lead, not theirs).
        Assert.DoesNotContain(await pipeline.Leads("H-PROOF"), l => (string)l!["rule"]! != "fume.suspected_evasion");
    }

    [Fact]
    public async Task A_device_without_a_key_is_accepted_as_unproven_and_once_it_has_one_must_sign()
    {
        await pipeline.Register("H-UNPROVEN", "fume", "GW-OLD-1");
        await using var gateway = await pipeline.Gateway("GW-OLD-1");
        var t = Minute(DateTimeOffset.UtcNow.AddMinutes(-50));
        const string Topic = "iot/v1/GW-OLD-1/telemetry";
        await gateway.PublishAsync(Topic, Envelope("GW-OLD-1", (1, t, 0, Clean)));
        await pipeline.Eventually(() => Task.FromResult(pipeline.JournalCount("GW-OLD-1")), n => n == 1, "the unproven record");
        var stored = await pipeline.GetObject("/api/devices/GW-OLD-1/records/1/message");
        Assert.Equal("unproven", (string)stored["proof"]!);
        Assert.False((bool)stored["proofChecks"]!);

        // A MAC the fleet holds no key for is refused; once a key is issued, an envelope without a MAC is.
        await gateway.PublishAsync(Topic, Sign(Envelope("GW-OLD-1", (2, t + 60, 0, Clean)), RandomNumberGenerator.GetBytes(32)));
        // Judged before the key exists (the broker's PUBACK says only that the broker has it).
        await pipeline.Eventually(() => pipeline.Get("/api/devices/GW-OLD-1/rejections"), r => r.Count >= 1, "the MAC without a key refused");
        var key = await IssueKey("GW-OLD-1");
        await gateway.PublishAsync(Topic, Envelope("GW-OLD-1", (3, t + 120, 0, Clean)));
        await gateway.PublishAsync(Topic, Sign(Envelope("GW-OLD-1", (4, t + 180, 0, Clean)), key));
        await pipeline.Eventually(() => Task.FromResult(pipeline.JournalCount("GW-OLD-1")), n => n == 2, "the signed record");
        var rejections = await pipeline.Eventually(() => pipeline.Get("/api/devices/GW-OLD-1/rejections"), r => r.Count >= 2, "the refused ones");
        Assert.Contains(rejections, r => ((string)r!["reason"]!).Contains("holds no evidence key"));
        Assert.Contains(rejections, r => ((string)r!["reason"]!).Contains("no `mac`"));
        Assert.Equal("hmac-sha256", (string)(await pipeline.GetObject("/api/devices/GW-OLD-1/records/4/message"))["proof"]!);
    }
}
