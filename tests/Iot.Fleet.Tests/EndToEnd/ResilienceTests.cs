using Xunit;
using static Iot.Fleet.Tests.EndToEnd.PipelineFixture;

namespace Iot.Fleet.Tests.EndToEnd;

/// <summary>Crashes and outages of the fleet's own servers lose nothing and double nothing.</summary>
[Collection(PipelineCollection.Name)]
public sealed class ResilienceTests(PipelineFixture pipeline)
{
    [Fact]
    public async Task The_fleet_killed_mid_stream_loses_no_record_and_raises_no_duplicate_lead()
    {
        const int count = 12_000;
        await pipeline.Register("K-CRASH", "fume", "GW-KILL-1");
        await using var gateway = await pipeline.Gateway("GW-KILL-1");
        var start = Minute(DateTimeOffset.UtcNow.AddMinutes(-count - 5));
        // Three purifier-off episodes of 20 minutes; everything else is clean cooking.
        static bool Breach(int i) => i % 4000 is >= 2000 and < 2020;
        var publishing = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                var m = Breach(i) ? """{"fume":0.8,"fan":1,"pur":0}""" : """{"fume":0.8,"fan":1,"pur":1}""";
                // One record per message, as gateways send them live; unawaited PUBACKs keep the stream flowing.
                _ = gateway.PublishAsync("iot/v1/GW-KILL-1/telemetry", Envelope("GW-KILL-1", ((uint)(i + 1), start + i * 60, 0, m)));
                if (i % 500 == 499) await Task.Delay(50);
            }
        });
        await pipeline.Eventually(() => Task.FromResult(pipeline.JournalCount("GW-KILL-1")), n => n > 2000, "the stream to be under way");
        var atKill = pipeline.JournalCount("GW-KILL-1");
        pipeline.CrashAndRestartFleet();
        Assert.InRange(atKill, 2001, count - 1); // killed in the middle, not after the end
        await publishing;

        await pipeline.Eventually(() => Task.FromResult(pipeline.JournalCount("GW-KILL-1")), n => n == count, $"all {count} records in the journal", 60);
        await pipeline.Eventually(() => pipeline.InfluxCount("GW-KILL-1"), n => n == count, $"all {count} readings in InfluxDB", 60);
        var leads = await pipeline.Eventually(() => pipeline.Leads("K-CRASH", "fume.purifier_off"), l => l.Count >= 3, "three leads");
        Assert.Equal(3, leads.Count);
        var starts = leads.Select(l => (DateTime)l!["start"]!).Order().ToList();
        Assert.Equal([2000, 6000, 10000], starts.Select(s => (int)((new DateTimeOffset(s, TimeSpan.Zero).ToUnixTimeSeconds() - start) / 60)));
        Assert.Equal(count, pipeline.JournalCount("GW-KILL-1"));
    }

    [Fact]
    public async Task Readings_wait_while_InfluxDB_is_down_and_arrive_when_it_is_back()
    {
        await pipeline.Register("I-DOWN", "fume", "GW-INFLUX-1");
        await using var gateway = await pipeline.Gateway("GW-INFLUX-1");
        var start = Minute(DateTimeOffset.UtcNow.AddMinutes(-300));
        pipeline.Influx.Stop();
        try
        {
            for (var i = 0; i < 200; i++)
                await gateway.PublishAsync("iot/v1/GW-INFLUX-1/telemetry", Envelope("GW-INFLUX-1", ((uint)(i + 1), start + i * 60, 0, """{"fume":0.4,"fan":1,"pur":1}""")));
            // Every message was acknowledged: the records are durable in the journal while InfluxDB is away.
            await pipeline.Eventually(() => Task.FromResult(pipeline.JournalCount("GW-INFLUX-1")), n => n == 200, "200 records in the journal");
            await pipeline.Eventually(() => pipeline.GetObject("/healthz"), h => (bool)h["influxFailing"]!, "the writer to notice InfluxDB is down");
        }
        finally
        {
            pipeline.Influx.Restart();
        }
        await pipeline.Eventually(() => pipeline.InfluxCount("GW-INFLUX-1"), n => n == 200, "all 200 readings in InfluxDB", 60);
    }
}
