using System.Net.Http.Json;
using System.Text;
using Dapper;
using Iot.Fleet.Ingest;
using Xunit;
using static Iot.Fleet.Tests.EndToEnd.PipelineFixture;

namespace Iot.Fleet.Tests.EndToEnd;

/// <summary>
/// Live data first (issue 17, item 4): a city's gateways back from an outage send hours of records at once (quality bit 32),
/// and a live breach meanwhile still becomes a lead at once, not after the backlog; the backlog is stored completely and
/// once, across a crash of the fleet in the middle of it.
/// </summary>
public sealed class BackfillLaneTests
{
    private const int Devices = 200, Minutes = 360, PerEnvelope = 20;

    /// <param name="topic">Where the gateways send their backfill: the backfill topic (this firmware; a broker queue of its
    /// own) or telemetry (gateways that do not use it; sorted into the lane by its quality bit).</param>
    [Theory]
    [InlineData("backfill")]
    [InlineData("telemetry")]
    public async Task A_live_breach_is_judged_while_other_devices_backfill_is_queued_and_the_backfill_is_stored_once_across_a_crash(string topic)
    {
        // Two messages per step, so the lane drains slowly enough (tens of seconds) to watch it from a test; the order
        // of the lanes, not the step size, is what is tested.
        using var pipeline = PipelineFixture.Configured(new Dictionary<string, string> { ["Mqtt__BacklogBatch"] = "2" });
        var ids = Enumerable.Range(1, Devices).Select(i => $"BF-{i:D4}").ToArray();
        using (var http = pipeline.Fleet.Http())
        {
            var import = await http.PostAsJsonAsync("/api/import?dry_run=false", new
            {
                sites = ids.Select(id => new { id = $"S-{id}", name = $"Backfill {id}", kind = "fume", lat = 34.75, lon = 113.62 }),
                devices = ids.Select(id => new { id, site = $"S-{id}" }),
            });
            Assert.True(import.IsSuccessStatusCode, await import.Content.ReadAsStringAsync());
        }
        await pipeline.Register("E-LIVE", "fume", "GW-LIVE-1");

        // The live restaurant: purifier off with the fan on, minute after minute; the tenth minute completes the first window.
        var now = Minute(DateTimeOffset.UtcNow);
        var live = Enumerable.Range(0, 10).Select(i => ((uint)(i + 1), now - (10 - i) * 60L, 0, """{"fume":2.6,"fan":1,"pur":0}""")).ToArray();
        await using var gateway = await pipeline.Gateway("GW-LIVE-1");
        foreach (var m in live[..9]) await gateway.PublishAsync("iot/v1/GW-LIVE-1/telemetry", Envelope("GW-LIVE-1", m));
        await pipeline.Eventually(() => Task.FromResult(pipeline.JournalCount("GW-LIVE-1")), n => n == 9, "the first nine live minutes stored");
        Assert.Empty(await pipeline.Leads("E-LIVE", "fume.purifier_off"));

        // Six hours from each of 200 gateways, oldest first in envelopes of 20 as the firmware's uplink sends them, every
        // record marked sent late from the store; the broker has all of it (PUBACK) before the live minute goes.
        var start = now - (Minutes + 30) * 60L;
        await using (var backfill = await pipeline.Gateway("BF-LOADER"))
            for (var k = 0; k < Minutes / PerEnvelope; k++)
                foreach (var id in ids)
                    await backfill.PublishAsync($"iot/v1/{id}/{topic}", Envelope(id, [.. Enumerable.Range(k * PerEnvelope, PerEnvelope)
                        .Select(i => ((uint)(i + 1), start + i * 60L, 32, $$"""{"fume":{{0.5 + i % 7 / 10.0}},"fan":1,"pur":1}"""))]));
        await gateway.PublishAsync("iot/v1/GW-LIVE-1/telemetry", Envelope("GW-LIVE-1", live[9]));

        var leads = await pipeline.Eventually(() => pipeline.Leads("E-LIVE", "fume.purifier_off"), l => l.Count > 0, "the live breach's lead", 10);
        var storedWhenLeadSeen = BackfillRecords(pipeline);
        Assert.Equal("fume.purifier_off", (string)leads[0]!["rule"]!);
        Assert.True(storedWhenLeadSeen < Devices * Minutes, $"the lead came only after the whole backfill ({storedWhenLeadSeen} records)");

        // The fleet dies with the lane half full; what it acknowledged is in the lane and resumes from there. It comes back
        // with the default step size: two messages a step took minutes for the rest on a busy machine.
        pipeline.Fleet.Options.Environment.Remove("Mqtt__BacklogBatch");
        pipeline.CrashAndRestartFleet();
        await pipeline.Eventually(() => Task.FromResult(BackfillRecords(pipeline)), n => n == Devices * Minutes, "the whole backfill stored", 180);

        using var db = Database(pipeline);
        Assert.Equal(Devices, Scalar(db, "SELECT COUNT(*) FROM (SELECT dev FROM records WHERE dev LIKE 'BF-%' GROUP BY dev HAVING COUNT(*) = @n AND COUNT(DISTINCT seq) = @n) complete", Minutes));
        // Each message brought its records once: one raw message each, none twice.
        Assert.Equal(Devices * Minutes / PerEnvelope, Scalar(db, "SELECT COUNT(*) FROM messages WHERE topic LIKE 'iot/v1/BF-%'"));
        await pipeline.Eventually(() => Task.FromResult(Scalar(db, "SELECT COUNT(*) FROM ingest_backlog")), n => n == 0, "the lane empty");
        await pipeline.Eventually(() => pipeline.Influx.CountAsync("SELECT COUNT(pur) FROM reading WHERE dev =~ /^BF-/"), n => n == Devices * Minutes,
            "every backfilled reading in InfluxDB", 120);
        // The live breach raised its lead once, crash or not.
        var after = await pipeline.Leads("E-LIVE");
        Assert.True(after.Count(l => (string)l!["rule"]! == "fume.purifier_off") == 1, after.ToJsonString());
    }

    [Theory]
    [InlineData("""{"v":1,"dev":"A-1","recs":[{"seq":1,"t":1,"dur":60,"q":32,"m":{"laeq":50}}]}""", true)]
    [InlineData("""{"v":1,"dev":"A-1","recs":[{"seq":1,"t":1,"dur":60,"q":0,"m":{}},{"seq":2,"t":61,"dur":60,"q":33,"m":{}}]}""", true)]
    [InlineData("""{"v":1,"dev":"A-1","recs":[{"seq":1,"t":1,"dur":60,"q":16,"m":{"laeq":50}}]}""", false)]
    [InlineData("""{"v":1,"dev":"A-1","q":32,"recs":[{"seq":1,"t":1,"dur":60,"q":0,"m":{"q":32}}]}""", false)]
    [InlineData("""{"v":1,"dev":"A-1","recs":[{"seq":1,"q":"32"}]}""", false)]
    [InlineData("""{"v":1,"recs":[{"q":32""", false)]
    [InlineData("""not json""", false)]
    public void The_backfill_bit_of_any_record_sends_an_envelope_to_the_lane(string payload, bool late) =>
        Assert.Equal(late, IngestBacklog.IsBackfill(Encoding.UTF8.GetBytes(payload)));

    /// <summary>The fleet's database, SQLite or PostgreSQL as the tests run.</summary>
    private static System.Data.Common.DbConnection Database(PipelineFixture pipeline) => pipeline.OpenDatabase();

    private static long BackfillRecords(PipelineFixture pipeline)
    {
        using var db = Database(pipeline);
        return Scalar(db, "SELECT COUNT(*) FROM records WHERE dev LIKE 'BF-%'");
    }

    private static long Scalar(System.Data.Common.DbConnection db, string sql, long n = 0) => db.ExecuteScalar<long>(sql, new { n });
}
