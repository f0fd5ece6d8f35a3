using Xunit;
using static Iot.Fleet.Tests.EndToEnd.PipelineFixture;

namespace Iot.Fleet.Tests.EndToEnd;

/// <summary>Device messages in, leads and readings out, through every real component.</summary>
[Collection(PipelineCollection.Name)]
public sealed class PipelineTests(PipelineFixture pipeline)
{
    [Fact]
    public async Task Purifier_off_raises_one_lead_and_a_resent_record_changes_nothing()
    {
        await pipeline.Register("R-PURIFIER", "fume", "GW-PUR-1");
        await using var gateway = await pipeline.Gateway("GW-PUR-1");
        var start = Minute(DateTimeOffset.UtcNow.AddMinutes(-12));
        var records = Enumerable.Range(0, 12).Select(i => ((uint)(100 + i), start + i * 60, 0, """{"fume":0.8,"fan":1,"pur":0}""")).ToArray();
        foreach (var r in records) await gateway.PublishAsync("iot/v1/GW-PUR-1/telemetry", Envelope("GW-PUR-1", r));

        var leads = await pipeline.Eventually(() => pipeline.Leads("R-PURIFIER"), l => l.Count > 0, "a purifier_off lead");
        var lead = Assert.Single(leads)!;
        Assert.Equal("fume.purifier_off", (string)lead["rule"]!);
        Assert.False((bool)lead["late"]!);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(start).UtcDateTime, (DateTime)lead["start"]!);
        // Twelve minutes hold three 10-minute windows, starting at minutes 0, 1 and 2.
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(start + 120).UtcDateTime, (DateTime)lead["end"]!);
        await pipeline.Eventually(() => pipeline.InfluxCount("GW-PUR-1"), n => n == 12, "12 readings in InfluxDB");

        // The gateway missed a PUBACK and sends everything again, in one envelope.
        await gateway.PublishAsync("iot/v1/GW-PUR-1/telemetry", Envelope("GW-PUR-1", records));
        await pipeline.Eventually(() => pipeline.GetObject("/healthz"), h => (long)h["recordsReceived"]! >= 24, "the re-sent records");
        Assert.Single(await pipeline.Leads("R-PURIFIER"));
        Assert.Equal(12, await pipeline.InfluxCount("GW-PUR-1"));
        Assert.Equal(12, pipeline.JournalCount("GW-PUR-1"));

        var detail = await pipeline.GetObject($"/api/leads/{(long)lead["id"]!}");
        Assert.Equal(12, detail["records"]!.AsArray().Count); // every minute of the three windows
        Assert.Equal("1.0.0", (string)detail["devices"]![0]!["firmware"]!);
        Assert.Equal("default", (string)detail["profile"]!["id"]!);
    }

    [Fact]
    public async Task Records_that_are_not_evidence_are_stored_but_raise_no_lead()
    {
        await pipeline.Register("R-FAULTY", "fume", "GW-FAULT-1");
        await using var gateway = await pipeline.Gateway("GW-FAULT-1");
        var start = Minute(DateTimeOffset.UtcNow.AddMinutes(-15));
        var bits = new[] { 1, 2, 4, 8, 16 };
        var records = Enumerable.Range(0, 15).Select(i => ((uint)(i + 1), start + i * 60, bits[i % 5], """{"fume":3.5,"fan":1,"pur":0}""")).ToArray();
        await gateway.PublishAsync("iot/v1/GW-FAULT-1/telemetry", Envelope("GW-FAULT-1", records));
        await pipeline.Eventually(() => pipeline.InfluxCount("GW-FAULT-1"), n => n == 15, "15 readings in InfluxDB");
        Assert.Empty(await pipeline.Leads("R-FAULTY"));
        // The tamper bit is an integrity matter: an alert, in its own queue.
        var alert = Assert.Single(await pipeline.Get("/api/alerts?site=R-FAULTY"))!;
        Assert.Equal("monitor.tamper", (string)alert["rule"]!);
    }

    [Fact]
    public async Task Malformed_messages_are_counted_and_do_not_disturb_other_devices()
    {
        await pipeline.Register("R-NEIGHBOUR", "fume", "GW-BAD-1", "GW-GOOD-1");
        await using var bad = await pipeline.Gateway("GW-BAD-1");
        await using var good = await pipeline.Gateway("GW-GOOD-1");
        var start = Minute(DateTimeOffset.UtcNow.AddMinutes(-5));
        await bad.PublishAsync("iot/v1/GW-BAD-1/telemetry", "{not json"u8.ToArray());
        await bad.PublishAsync("iot/v1/GW-BAD-1/telemetry", Envelope("GW-GOOD-1", (1, start, 0, """{"fume":1}""")));
        await good.PublishAsync("iot/v1/GW-GOOD-1/telemetry", Envelope("GW-GOOD-1", (1, start, 0, """{"fume":0.5,"fan":1,"pur":1}""")));

        var badView = await pipeline.Eventually(() => pipeline.GetObject("/api/devices/GW-BAD-1"), d => (long)d["rejected"]! == 2, "two rejections");
        Assert.Equal("never seen", (string)badView["status"]!);
        await pipeline.Eventually(() => pipeline.InfluxCount("GW-GOOD-1"), n => n == 1, "the good device's reading");
        Assert.Equal(0, await pipeline.InfluxCount("GW-BAD-1"));
    }
}
