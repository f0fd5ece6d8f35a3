using Xunit;
using static Iot.Fleet.Tests.EndToEnd.PipelineFixture;

namespace Iot.Fleet.Tests.EndToEnd;

/// <summary>Night permits, backfill and silence, with data at chosen times.</summary>
[Collection(PipelineCollection.Name)]
public sealed class TimeRuleTests(PipelineFixture pipeline)
{
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

    /// <summary>23:00 Shanghai time of the last night that is at least two hours over.</summary>
    private static DateTimeOffset LastNight()
    {
        var local = DateTimeOffset.UtcNow.ToOffset(Shanghai).AddHours(-2);
        var night = new DateTimeOffset(local.Date, Shanghai).AddHours(23);
        return night > local ? night.AddDays(-1) : night;
    }

    [Fact]
    public async Task Night_leads_stand_with_or_without_a_permit_name_it_and_backfilled_breaches_are_late()
    {
        await pipeline.Register("N-PERMIT", "noise", "GW-NIGHT-1");
        await pipeline.Register("N-NOPERMIT", "noise", "GW-NIGHT-2");
        var night = LastNight();
        var permit = await pipeline.Permit("N-PERMIT", night.AddHours(-1), night.AddHours(7));
        foreach (var device in new[] { "GW-NIGHT-1", "GW-NIGHT-2" })
        {
            await using var gateway = await pipeline.Gateway(device);
            var start = night.ToUnixTimeSeconds();
            // 40 minutes at 60 dB(A) with 75 dB(A) peaks, sent late from the store (bit 32).
            var records = Enumerable.Range(0, 40).Select(i => ((uint)(i + 1), start + i * 60, 32, """{"laeq":60,"lafmax":75}""")).ToArray();
            await gateway.PublishAsync($"iot/v1/{device}/telemetry", Envelope(device, records));
        }
        // A permit allows the work, not the noise: both sites get the same night leads; the permitted one names its permit.
        foreach (var (site, expected) in new[] { ("N-NOPERMIT", (long?)null), ("N-PERMIT", permit) })
        {
            var leads = await pipeline.Eventually(() => pipeline.Leads(site), l => l.Count >= 2, $"the night leads of {site}");
            Assert.Equal(["noise.night_leq", "noise.night_lmax"], leads.Select(l => (string)l!["rule"]!).Order());
            Assert.All(leads, l => Assert.True((bool)l!["late"]!));
            Assert.All(leads, l => Assert.Equal(expected, (long?)l!["permit"]));
        }
    }

    [Fact]
    public async Task A_silent_site_raises_an_offline_alert_that_backfill_recovers()
    {
        await pipeline.Register("O-SILENT", "dust", "GW-QUIET-1");
        await using var gateway = await pipeline.Gateway("GW-QUIET-1");
        var first = Minute(DateTimeOffset.UtcNow.AddMinutes(-45));
        await gateway.PublishAsync("iot/v1/GW-QUIET-1/telemetry", Envelope("GW-QUIET-1", (1, first, 0, """{"pm10":40,"pur":0}""")));
        var alert = (await pipeline.Eventually(() => pipeline.Get("/api/alerts?site=O-SILENT&rule=monitor.offline"), a => a.Count == 1, "an offline alert"))[0]!;
        Assert.Equal("new", (string)alert["status"]!);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(first + 60).UtcDateTime, (DateTime)alert["start"]!);

        // The gateway comes back and drains its store: every minute of the gap arrives.
        var now = Minute(DateTimeOffset.UtcNow);
        var backfill = Enumerable.Range(1, (int)((now - first) / 60) + 1).Select(i => ((uint)(i + 1), first + i * 60, 32, """{"pm10":40,"pur":0}""")).ToArray();
        await gateway.PublishAsync("iot/v1/GW-QUIET-1/telemetry", Envelope("GW-QUIET-1", backfill));
        await pipeline.Eventually(() => pipeline.Get("/api/alerts?site=O-SILENT&rule=monitor.offline"), a => (string)a[0]!["status"]! == "recovered", "the alert to recover");
        Assert.Empty(await pipeline.Get("/api/leads?site=O-SILENT&rule=fume.suspected_evasion")); // a construction site's silence is no evasion lead
    }

    [Fact]
    public async Task A_restaurants_gateway_silent_in_business_hours_is_a_suspected_evasion_lead_that_backfill_withdraws()
    {
        await pipeline.Register("O-KITCHEN", "fume", "GW-KITCHEN-1");
        await using var gateway = await pipeline.Gateway("GW-KITCHEN-1");
        var first = Minute(DateTimeOffset.UtcNow.AddMinutes(-45));
        await gateway.PublishAsync("iot/v1/GW-KITCHEN-1/telemetry", Envelope("GW-KITCHEN-1", (1, first, 0, """{"fume":0.5,"fan":1,"pur":1}""")));
        // No business hours given: a kitchen is watched all day. The silence is an alert for engineers and a lead for inspectors.
        await pipeline.Eventually(() => pipeline.Get("/api/alerts?site=O-KITCHEN&rule=monitor.offline"), a => a.Count == 1, "an offline alert");
        var lead = (await pipeline.Eventually(() => pipeline.Get("/api/leads?site=O-KITCHEN&rule=fume.suspected_evasion"), l => l.Count == 1, "a suspected evasion lead"))[0]!;
        Assert.Equal(("new", "min"), ((string)lead["status"]!, (string)lead["unit"]!));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(first + 60).UtcDateTime, (DateTime)lead["start"]!);

        // The gateway had only lost its network: its store fills the gap, and the suspicion goes with the alert.
        var now = Minute(DateTimeOffset.UtcNow);
        var backfill = Enumerable.Range(1, (int)((now - first) / 60) + 1).Select(i => ((uint)(i + 1), first + i * 60, 32, """{"fume":0.5,"fan":1,"pur":1}""")).ToArray();
        await gateway.PublishAsync("iot/v1/GW-KITCHEN-1/telemetry", Envelope("GW-KITCHEN-1", backfill));
        await pipeline.Eventually(() => pipeline.Get("/api/leads?site=O-KITCHEN&rule=fume.suspected_evasion"), l => (string)l[0]!["status"]! == "withdrawn", "the lead to be withdrawn");
        Assert.Single(await pipeline.Get("/api/leads?site=O-KITCHEN&rule=fume.suspected_evasion"));
    }

    [Fact]
    public async Task A_restaurants_gateway_opened_in_business_hours_is_a_suspected_evasion_lead_that_backfill_never_withdraws()
    {
        await pipeline.Register("O-LID", "fume", "GW-LID-1");
        await using var gateway = await pipeline.Gateway("GW-LID-1");
        var first = Minute(DateTimeOffset.UtcNow.AddMinutes(-45));
        await gateway.PublishAsync("iot/v1/GW-LID-1/telemetry", Envelope("GW-LID-1", (1, first, 0, """{"fume":0.5,"fan":1,"pur":1}""")));
        // The lid is opened a minute later, and the gateway falls silent; its tamper event arrives twice (QoS 1 redelivery).
        var tamper = System.Text.Encoding.UTF8.GetBytes($$$"""{"v":1,"dev":"GW-LID-1","t":{{{first + 60}}},"type":"tamper","data":{"switch":"open"}}""");
        await gateway.PublishAsync("iot/v1/GW-LID-1/event", tamper);
        await gateway.PublishAsync("iot/v1/GW-LID-1/event", tamper);
        var leads = await pipeline.Eventually(() => pipeline.Get("/api/leads?site=O-LID&rule=fume.suspected_evasion"), l => l.Count == 2, "a lead of silence and one of the tamper event");
        // The evidence says which is which.
        var evidence = new Dictionary<long, System.Text.Json.Nodes.JsonObject>();
        foreach (var l in leads) evidence[(long)l!["id"]!] = await pipeline.GetObject($"/api/leads/{(long)l["id"]!}");
        var opened = Assert.Single(leads, l => (string?)evidence[(long)l!["id"]!]["evasion"] == "tamper")!;
        Assert.StartsWith("tamper event in business hours: GW-LID-1", (string)evidence[(long)opened["id"]!]["detail"]!);
        Assert.Single(evidence.Values, e => (string?)e["evasion"] == "silence" && ((string)e["detail"]!).StartsWith("gateway silent in business hours", StringComparison.Ordinal));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(first + 60).UtcDateTime, (DateTime)opened["start"]!);
        Assert.Single(await pipeline.Get("/api/alerts?site=O-LID&rule=monitor.tamper"));

        // The store fills the gap: the silence was only the network, and goes; the opened lid stays a lead.
        var now = Minute(DateTimeOffset.UtcNow);
        var backfill = Enumerable.Range(1, (int)((now - first) / 60) + 1).Select(i => ((uint)(i + 1), first + i * 60, 32, """{"fume":0.5,"fan":1,"pur":1}""")).ToArray();
        await gateway.PublishAsync("iot/v1/GW-LID-1/telemetry", Envelope("GW-LID-1", backfill));
        await pipeline.Eventually(() => pipeline.Get("/api/leads?site=O-LID&rule=fume.suspected_evasion"),
            l => l.Any(x => (string)x!["status"]! == "withdrawn"), "the silence lead to be withdrawn");
        var after = await pipeline.Get("/api/leads?site=O-LID&rule=fume.suspected_evasion");
        Assert.Equal(2, after.Count);
        Assert.Equal("new", (string)after.Single(l => (long)l!["id"]! == (long)opened["id"]!)!["status"]!);
    }
}
