using System.Net;
using System.Net.Http.Json;
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

        // Twelve minutes hold three 10-minute windows, starting at minutes 0, 1 and 2. The lead is raised by the first
        // breaching window and grows as the batches after it are judged, so wait for its last window.
        var end = DateTimeOffset.FromUnixTimeSeconds(start + 120).UtcDateTime;
        var leads = await pipeline.Eventually(() => pipeline.Leads("R-PURIFIER", "fume.purifier_off"),
            l => l.Count > 0 && (DateTime)l[0]!["end"]! == end, "a purifier_off lead over the three windows");
        var lead = Assert.Single(leads)!;
        Assert.Equal("fume.purifier_off", (string)lead["rule"]!);
        Assert.False((bool)lead["late"]!);
        // The first breaching window starts at minute 0, or at minute -1: that window holds 9 of its 10 minutes,
        // enough (90 %) to be judged once later data completes it (fleet README, "Windows").
        Assert.Contains((DateTime)lead["start"]!, new[] { start - 60, start }.Select(t => DateTimeOffset.FromUnixTimeSeconds(t).UtcDateTime));
        Assert.Equal(end, (DateTime)lead["end"]!);
        await pipeline.Eventually(() => pipeline.InfluxCount("GW-PUR-1"), n => n == 12, "12 readings in InfluxDB");

        // The gateway missed a PUBACK and sends everything again, in one envelope.
        await gateway.PublishAsync("iot/v1/GW-PUR-1/telemetry", Envelope("GW-PUR-1", records));
        await pipeline.Eventually(() => pipeline.GetObject("/healthz"), h => (long)h["recordsReceived"]! >= 24, "the re-sent records");
        Assert.Single(await pipeline.Leads("R-PURIFIER", "fume.purifier_off"));
        Assert.Equal(12, await pipeline.InfluxCount("GW-PUR-1"));
        Assert.Equal(12, pipeline.JournalCount("GW-PUR-1"));

        var detail = await pipeline.GetObject($"/api/leads/{(long)lead["id"]!}");
        Assert.Equal(12, detail["records"]!.AsArray().Count); // every minute of the three windows
        Assert.Equal("1.0.0", (string)detail["devices"]![0]!["firmware"]!);
        Assert.Equal("default", (string)detail["profile"]!["id"]!);
    }

    [Fact]
    public async Task A_lead_reaches_the_live_feed_once_when_it_is_raised()
    {
        await pipeline.Register("R-FEED", "fume", "GW-FEED-1");
        using var http = pipeline.Fleet.Http();
        http.Timeout = Timeout.InfiniteTimeSpan;
        using var stream = await http.GetAsync("/api/leads/stream", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        Assert.Equal(": connected", await reader.ReadLineAsync());

        await using var gateway = await pipeline.Gateway("GW-FEED-1");
        var start = Minute(DateTimeOffset.UtcNow.AddMinutes(-12));
        foreach (var i in Enumerable.Range(0, 12))
            await gateway.PublishAsync("iot/v1/GW-FEED-1/telemetry", Envelope("GW-FEED-1", ((uint)(1 + i), start + i * 60, 0, """{"fume":0.8,"fan":1,"pur":0}""")));
        var lead = Assert.Single(await pipeline.Eventually(() => pipeline.Leads("R-FEED", "fume.purifier_off"), l => l.Count > 0, "a purifier_off lead"))!;

        // Every event until the lead's own, then a little longer: it comes once, as a lead, with the lead's id.
        var events = new List<(string Event, string Data)>();
        using var read = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        string? kind = null;
        while (!read.IsCancellationRequested && !events.Any(e => e.Data.Contains("\"site\":\"R-FEED\"")))
        {
            var line = await reader.ReadLineAsync(read.Token);
            if (line is null) break;
            if (line.StartsWith("event: ", StringComparison.Ordinal)) kind = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) events.Add((kind!, line[6..]));
        }
        using (var more = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
            try
            {
                while (await reader.ReadLineAsync(more.Token) is { } line)
                    if (line.StartsWith("event: ", StringComparison.Ordinal)) kind = line[7..];
                    else if (line.StartsWith("data: ", StringComparison.Ordinal)) events.Add((kind!, line[6..]));
            }
            catch (OperationCanceledException)
            {
                // Nothing more came: as it should.
            }
        var ours = Assert.Single(events, e => e.Data.Contains("\"site\":\"R-FEED\""));
        Assert.Equal("lead", ours.Event);
        Assert.Contains($"\"id\":{(long)lead["id"]!}", ours.Data);
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
        // The tamper bit is an integrity matter: an alert, in its own queue (judged after the readings are written).
        var alert = Assert.Single(await pipeline.Eventually(() => pipeline.Get("/api/alerts?site=R-FAULTY"), a => a.Count > 0, "the tamper alert"))!;
        Assert.Equal("monitor.tamper", (string)alert["rule"]!);
        // The readings raise no lead of their own. The opened enclosure at a restaurant with no business hours recorded
        // (watched all day) is a suspected evasion, an inspectors' lead of its own kind (Rules/SuspectedEvasion).
        var leads = await pipeline.Leads("R-FAULTY");
        Assert.DoesNotContain(leads, l => (string)l!["rule"]! != "fume.suspected_evasion");
        var causes = new List<string?>();
        foreach (var lead in leads) causes.Add((string?)(await pipeline.GetObject($"/api/leads/{(long)lead!["id"]!}"))["evasion"]);
        Assert.Contains("tamper", causes);
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

    [Fact]
    public async Task A_site_raises_enforcement_leads_only_for_windows_after_a_passed_commissioning()
    {
        await pipeline.Register("R-UNREVIEWED", "fume", commissioned: false, "GW-NEW-1");
        await using var gateway = await pipeline.Gateway("GW-NEW-1");
        var start = Minute(DateTimeOffset.UtcNow.AddMinutes(-40));
        // Two episodes of a switched-off purifier, twenty minutes apart; the site is reviewed between them.
        var records = Enumerable.Range(0, 12).Select(i => ((uint)(i + 1), start + i * 60, 0, """{"fume":0.8,"fan":1,"pur":0}""")).ToArray();
        await gateway.PublishAsync("iot/v1/GW-NEW-1/telemetry", Envelope("GW-NEW-1", records));
        var first = Assert.Single(await pipeline.Eventually(() => pipeline.Leads("R-UNREVIEWED", "fume.purifier_off"), l => l.Count > 0, "the first episode"))!;
        Assert.Equal("not_commissioned", (string)first["status"]!);
        Assert.Empty(await pipeline.Get("/api/sites/R-UNREVIEWED/commissioning"));

        using (var http = pipeline.Fleet.Http())
        {
            var reviewed = await http.PostAsJsonAsync("/api/sites/R-UNREVIEWED/commissioning",
                new { passed = true, note = "installation reviewed on site by the bureau", validFrom = DateTimeOffset.FromUnixTimeSeconds(start + 20 * 60) });
            Assert.Equal(HttpStatusCode.Created, reviewed.StatusCode);
            var noNote = await http.PostAsJsonAsync("/api/sites/R-UNREVIEWED/commissioning", new { passed = true });
            Assert.Equal(HttpStatusCode.BadRequest, noNote.StatusCode);
        }
        // Thirteen good minutes end the first episode; then the purifier is off again.
        var later = Enumerable.Range(12, 25).Select(i => ((uint)(i + 1), start + i * 60, 0,
            i < 25 ? """{"fume":0.8,"fan":1,"pur":1}""" : """{"fume":0.8,"fan":1,"pur":0}""")).ToArray();
        await gateway.PublishAsync("iot/v1/GW-NEW-1/telemetry", Envelope("GW-NEW-1", later));
        var leads = await pipeline.Eventually(() => pipeline.Leads("R-UNREVIEWED", "fume.purifier_off"), l => l.Count == 2, "the second episode");
        Assert.Equal(["not_commissioned", "new"], leads.OrderBy(l => (DateTime)l!["start"]!).Select(l => (string)l!["status"]!));
        var records2 = await pipeline.Get("/api/sites/R-UNREVIEWED/commissioning");
        Assert.Equal("admin-record", (string)Assert.Single(records2)!["method"]!);
    }
}
