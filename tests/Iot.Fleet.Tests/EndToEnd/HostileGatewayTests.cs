using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;
using static Iot.Fleet.Tests.EndToEnd.PipelineFixture;

namespace Iot.Fleet.Tests.EndToEnd;

/// <summary>What one gateway's own credentials and topics can do to the fleet: nothing that stops, stalls or
/// forges anything for the others. Each case here once stopped the fleet process or stalled judging.</summary>
[Collection(PipelineCollection.Name)]
public sealed class HostileGatewayTests(PipelineFixture pipeline)
{
    private const string PurifierOff = """{"fume":0.8,"fan":1,"pur":0}""";

    [Fact]
    public async Task Poisoned_messages_become_rejections_while_a_good_gateway_breach_still_becomes_a_lead()
    {
        await pipeline.Register("H-EVIL", "fume", "GW-EVIL-1");
        await pipeline.Register("H-HONEST", "fume", "GW-HONEST-1");
        await using var evil = await pipeline.Gateway("GW-EVIL-1");
        var now = DateTimeOffset.UtcNow;
        // Each of these once stopped the fleet or stalled judging for everyone.
        string[] poison =
        [
            """{"v":1,"dev":"GW-EVIL-1","t":1795000020,"type":"ota","data":{"id":"c1","phase":"download","percent":"fifty"}}""",
            """{"v":1,"dev":"GW-EVIL-1","t":99999999999,"type":"tamper","data":{}}""",
            """{"v":1,"dev":"GW-EVIL-1","t":-7,"type":"tamper","data":{}}""",
        ];
        foreach (var p in poison) await evil.PublishAsync("iot/v1/GW-EVIL-1/event", p);
        await evil.PublishAsync("iot/v1/GW-EVIL-1/prov/hello", """{"v":1,"dev":12345}""");
        await evil.PublishAsync("iot/v1/GW-EVIL-1/status", """{"v":1,"dev":"GW-EVIL-1","online":true,"uptime":-1}""");
        foreach (var name in new[] { "q", "seq", "dur", "time" })
            await evil.PublishAsync("iot/v1/GW-EVIL-1/telemetry",
                Envelope("GW-EVIL-1", (1, Minute(now.AddMinutes(-5)), 0, $$"""{"fume":0.1,"fan":1,"pur":1,"{{name}}":1}""")));

        await using var good = await pipeline.Gateway("GW-HONEST-1");
        var start = Minute(now.AddMinutes(-40));
        for (var i = 0; i < 15; i++)
            await good.PublishAsync("iot/v1/GW-HONEST-1/telemetry", Envelope("GW-HONEST-1", ((uint)(i + 1), start + i * 60, 0, PurifierOff)));

        // Asked by rule: the gateway's records of 40 minutes ago also leave it "silent" in business hours for a while (OfflineWatch).
        var leads = await pipeline.Eventually(() => pipeline.Leads("H-HONEST", "fume.purifier_off"), l => l.Count == 1, "the good gateway's purifier-off lead");
        Assert.Equal("fume.purifier_off", (string)leads[0]!["rule"]!);
        await pipeline.Eventually(() => pipeline.InfluxCount("GW-HONEST-1"), n => n == 15, "the good gateway's readings in InfluxDB");
        var rejections = await pipeline.Eventually(() => pipeline.Get("/api/devices/GW-EVIL-1/rejections"), r => r.Count >= 7, "the rejections of the hostile gateway");
        var reasons = rejections.Select(r => (string)r!["reason"]!).ToList();
        Assert.Equal(4, reasons.Count(r => r.Contains("reserved")));
        Assert.Equal(2, reasons.Count(r => r.Contains("event.t")));
        Assert.Contains(reasons, r => r.Contains("uptime"));
        Assert.Empty(await pipeline.Get("/api/alerts?site=H-EVIL"));

        using var http = pipeline.Fleet.Http();
        foreach (var path in new[] { "/api/leads", "/api/alerts", "/api/sites", "/api/sites/H-EVIL", "/api/devices/GW-EVIL-1", "/api/rejections", "/api/conflicts", "/api/reports/monthly" })
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(path)).StatusCode);
        // The engineers' page shows the device's refused messages with their reasons.
        var page = await http.GetStringAsync("/engineer/ingest?device=GW-EVIL-1");
        Assert.Contains("reserved name q", page);
        Assert.Contains("event.t 99999999999", page);
        var health = await pipeline.GetObject("/healthz");
        Assert.True((bool)health["ready"]!);
        Assert.Equal(0, health["stages"]!.AsArray().Sum(s => (int)s!["failures"]!));
    }

    [Fact]
    public async Task A_record_number_reused_with_other_content_is_kept_as_a_conflict_and_raises_an_alert()
    {
        await pipeline.Register("H-CONFLICT", "fume", "GW-REFLASH-1");
        await using var gateway = await pipeline.Gateway("GW-REFLASH-1");
        var t = Minute(DateTimeOffset.UtcNow.AddMinutes(-30));
        await gateway.PublishAsync("iot/v1/GW-REFLASH-1/telemetry", Envelope("GW-REFLASH-1", (1, t, 0, """{"fume":0.3,"fan":1,"pur":1}""")));
        // A plain re-send is a duplicate, not a conflict.
        await gateway.PublishAsync("iot/v1/GW-REFLASH-1/telemetry", Envelope("GW-REFLASH-1", (1, t, 0, """{"fume":0.3,"fan":1,"pur":1}""")));
        // The flash was replaced: numbering restarts at 1 with a new minute.
        await gateway.PublishAsync("iot/v1/GW-REFLASH-1/telemetry", Envelope("GW-REFLASH-1", (1, t + 600, 0, """{"fume":0.5,"fan":1,"pur":1}""")));
        await gateway.PublishAsync("iot/v1/GW-REFLASH-1/telemetry", Envelope("GW-REFLASH-1", (1, t + 600, 0, """{"fume":0.5,"fan":1,"pur":1}""")));

        var conflicts = await pipeline.Eventually(() => pipeline.Get("/api/conflicts?device=GW-REFLASH-1"), c => c.Count >= 1, "the conflict");
        var conflict = Assert.Single(conflicts);
        Assert.Equal(t, (long)conflict!["data"]!["stored"]!["t"]!);
        Assert.Equal(t + 600, (long)conflict["data"]!["sent"]!["t"]!);
        var alerts = await pipeline.Eventually(() => pipeline.Get("/api/alerts?site=H-CONFLICT&rule=monitor.conflict"), a => a.Count == 1, "the conflict alert");
        Assert.Single(alerts);
        Assert.Equal(1, pipeline.JournalCount("GW-REFLASH-1"));
        Assert.Equal(0.3, (double)(await pipeline.GetObject($"/api/leads/{(long)alerts[0]!["id"]!}"))["records"]![0]!["measurements"]!["fume"]!);
    }

    [Fact]
    public async Task A_tamper_event_sent_again_is_stored_once_and_raises_one_alert()
    {
        await pipeline.Register("H-TAMPER", "fume", "GW-TAMPER-1");
        await using var gateway = await pipeline.Gateway("GW-TAMPER-1");
        var t = Minute(DateTimeOffset.UtcNow.AddMinutes(-3));
        var tamper = $$$"""{"v":1,"dev":"GW-TAMPER-1","t":{{{t}}},"type":"tamper","data":{"open":true}}""";
        for (var i = 0; i < 3; i++) await gateway.PublishAsync("iot/v1/GW-TAMPER-1/event", tamper);
        await pipeline.Eventually(() => pipeline.Get("/api/alerts?site=H-TAMPER&rule=monitor.tamper"), a => a.Count == 1, "the tamper alert");
        await pipeline.Eventually(() => Task.FromResult(EventCount("GW-TAMPER-1")), n => n == 1, "one stored tamper event");
        await Task.Delay(500);
        Assert.Equal(1, EventCount("GW-TAMPER-1"));
    }

    [Fact]
    public async Task A_reading_InfluxDB_refuses_is_quarantined_and_the_others_are_written()
    {
        await pipeline.Register("H-INFLUX", "fume", "GW-QUAR-1");
        var t = Minute(DateTimeOffset.UtcNow.AddMinutes(-20));
        // An integer field of the same name in the same shard makes InfluxDB refuse the device's float for it.
        using (var influx = new HttpClient { BaseAddress = pipeline.Influx.Url })
        {
            await pipeline.Eventually(async () => (await influx.PostAsync("/query", new FormUrlEncodedContent(new Dictionary<string, string> { ["q"] = "CREATE DATABASE iot" }))).StatusCode,
                s => s == HttpStatusCode.OK, "the iot database");
            var seeded = await influx.PostAsync("/write?db=iot&precision=s", new StringContent($"reading,dev=SEED,site=seed voc_index=1i {t}\n", Encoding.UTF8));
            Assert.Equal(HttpStatusCode.NoContent, seeded.StatusCode);
        }
        await using var gateway = await pipeline.Gateway("GW-QUAR-1");
        await gateway.PublishAsync("iot/v1/GW-QUAR-1/telemetry", Envelope("GW-QUAR-1",
            (1, t, 0, """{"fume":0.3,"fan":1,"pur":1}"""),
            (2, t + 60, 0, """{"fume":0.3,"fan":1,"pur":1,"voc_index":3}"""),
            (3, t + 120, 0, """{"fume":0.3,"fan":1,"pur":1}""")));
        var quarantined = await pipeline.Eventually(() => pipeline.Get("/api/influx/quarantine"), q => q.Any(l => (string)l!["device"]! == "GW-QUAR-1"), "the refused line");
        Assert.Contains("voc_index", (string)quarantined.First(l => (string)l!["device"]! == "GW-QUAR-1")!["line"]!);
        await pipeline.Eventually(() => pipeline.InfluxCount("GW-QUAR-1"), n => n == 2, "the two other readings in InfluxDB");
        Assert.Equal(3, pipeline.JournalCount("GW-QUAR-1"));
    }

    private long EventCount(string device) => pipeline.RowCount("events", device);
}
