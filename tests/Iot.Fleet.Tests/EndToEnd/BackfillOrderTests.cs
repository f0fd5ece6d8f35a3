using System.Text.Json.Nodes;
using Xunit;
using static Iot.Fleet.Tests.EndToEnd.PipelineFixture;

namespace Iot.Fleet.Tests.EndToEnd;

/// <summary>Event time decides, end to end: a gateway's six hours of backfill in shuffled order, while live data flows,
/// end with the same leads as the same minutes sent in time order by a twin gateway at a twin site.</summary>
[Collection(PipelineCollection.Name)]
public sealed class BackfillOrderTests(PipelineFixture pipeline)
{
    [Fact]
    public async Task Six_hours_of_backfill_in_shuffled_order_give_the_leads_of_time_order()
    {
        await pipeline.Register("E-SHUFFLED", "fume", "GW-SHUF-1");
        await pipeline.Register("E-ORDERED", "fume", "GW-ORD-1");
        const int backfill = 360, live = 20;
        var start = Minute(DateTimeOffset.UtcNow.AddMinutes(-backfill - live - 2));
        // A restaurant's day: lunch and dinner with the purifier off for a while, the fan off between meals, a gap offline.
        string Measure(int i)
        {
            var meal = i % 180 is >= 30 and < 120;
            var purifierOff = i % 180 is >= 50 and < 75 || i % 180 is >= 95 and < 100;
            return !meal ? """{"fume":0.1,"fan":0,"pur":0}""" : purifierOff ? """{"fume":2.6,"fan":1,"pur":0}""" : """{"fume":0.6,"fan":1,"pur":1}""";
        }
        bool Offline(int i) => i is >= 200 and < 215;
        var minutes = Enumerable.Range(0, backfill + live).Where(i => !Offline(i))
            .Select(i => (Seq: (uint)(i + 1), T: start + i * 60, Q: i < backfill ? 32 : 0, M: Measure(i))).ToList();

        await using var shuffled = await pipeline.Gateway("GW-SHUF-1");
        await using var ordered = await pipeline.Gateway("GW-ORD-1");
        var random = new Random(20261206);
        var history = minutes.Where(m => m.T < start + backfill * 60).OrderBy(_ => random.Next()).ToList();
        var liveMinutes = minutes.Where(m => m.T >= start + backfill * 60).ToList();
        // The backfill in envelopes of 1 to 60 shuffled records, one live minute after every few of them.
        var sent = 0;
        var liveSent = 0;
        while (sent < history.Count)
        {
            var size = Math.Min(random.Next(1, 61), history.Count - sent);
            await shuffled.PublishAsync("iot/v1/GW-SHUF-1/telemetry", Envelope("GW-SHUF-1", [.. history.Skip(sent).Take(size)]));
            sent += size;
            if (liveSent < liveMinutes.Count && random.Next(3) == 0)
                await shuffled.PublishAsync("iot/v1/GW-SHUF-1/telemetry", Envelope("GW-SHUF-1", liveMinutes[liveSent++]));
        }
        foreach (var m in liveMinutes.Skip(liveSent)) await shuffled.PublishAsync("iot/v1/GW-SHUF-1/telemetry", Envelope("GW-SHUF-1", m));
        foreach (var chunk in minutes.Chunk(100)) await ordered.PublishAsync("iot/v1/GW-ORD-1/telemetry", Envelope("GW-ORD-1", chunk));

        await pipeline.Eventually(() => Task.FromResult(pipeline.JournalCount("GW-SHUF-1")), n => n == minutes.Count, "every shuffled record");
        await pipeline.Eventually(() => Task.FromResult(pipeline.JournalCount("GW-ORD-1")), n => n == minutes.Count, "every ordered record");
        var expected = await pipeline.Eventually(async () => Shape(await pipeline.Leads("E-ORDERED")), l => l.Count >= 4, "the time-ordered leads");
        List<string> actual;
        try
        {
            actual = await pipeline.Eventually(async () => Shape(await pipeline.Leads("E-SHUFFLED")), l => l.SequenceEqual(expected), "the shuffled leads to settle", 60);
        }
        catch (TimeoutException)
        {
            actual = Shape(await pipeline.Leads("E-SHUFFLED"));
        }
        Assert.True(expected.SequenceEqual(actual), $"time order:\n  {string.Join("\n  ", expected)}\nshuffled:\n  {string.Join("\n  ", actual)}");
    }

    /// <summary>What a lead says about the records (not when or how it was raised), for open leads judged from the records:
    /// a suspected evasion by silence is what the fleet saw live (the gateway quiet while its restaurant was open), so it
    /// depends on when each twin's stream arrived, which is not what this test compares.</summary>
    private static List<string> Shape(JsonArray leads) => leads
        .Where(l => (string)l!["status"]! is not ("merged" or "withdrawn") && (string)l["rule"]! != "fume.suspected_evasion")
        .Select(l => $"{l!["rule"]} {l["start"]} {l["end"]} {(double)l["value"]!:R}")
        .Order(StringComparer.Ordinal).ToList();
}
