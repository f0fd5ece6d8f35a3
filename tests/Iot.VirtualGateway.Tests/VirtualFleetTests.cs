using System.Diagnostics;
using System.Text.Json;
using Iot.Contract;
using Iot.Gateway.Telemetry;
using Iot.Gateway.Virtual.Simulation;
using Iot.Testing;
using Xunit.Abstractions;

namespace Iot.VirtualGateway.Tests;

[Collection(BrokerCollection.Name)]
public sealed class VirtualFleetTests(BrokerFixture broker, ITestOutputHelper output) : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("iot-virtual-").FullName;

    public void Dispose() => Directory.Delete(_state, recursive: true);

    private FleetRunner Runner(string yaml, double speed) =>
        new(Scenario.Parse(yaml), new FleetOptions
        {
            Host = broker.Host, Port = broker.Port, Speed = speed, StateDirectory = _state, Log = output.WriteLine,
        });

    // At 600x a broker round trip or a reconnect backoff lasts simulated minutes, so any record may leave more than
    // two simulated minutes after its window and carry the (informational) backfill bit; the other bits are exact.
    private static int Evidence(int q) => q & ~QualityBits.Backfill;

    private static List<ReceivedRecord> Unique(IEnumerable<ReceivedRecord> records, string dev) =>
        records.Where(r => r.Dev == dev).GroupBy(r => r.Seq).Select(g => g.First()).OrderBy(r => r.Seq).ToList();

    [Fact]
    public async Task Each_gateway_publishes_one_record_per_minute_with_the_scenarios_values_and_bits()
    {
        await using var tap = await TelemetryTap.StartAsync(broker.Host, broker.Port, "iot/v1/+/telemetry", "iot/v1/+/backfill", "iot/v1/+/event");
        await using var runner = Runner("""
            duration: 6m
            devices:
              - id: VT-NOISE-1
                site: noise
                jitter: 0.01
                levels:
                  laeq: [{from: 0s, value: 60}, {from: 2m, for: 2m, value: 75}]
                faults: [{from: 4m, for: 1m}]
              - id: VT-FUME-1
                site: fume
                jitter: 0.01
                levels: {fume: 2.5, fan_a: 3.0, pur_a: 0}
                tamper: [{from: 1m, for: 30s}]
              - id: VT-DUST-1
                site: dust
                sensor: pms5003
                jitter: 0
                levels: {pm10: 180, pm25: 90}
            """, speed: 600);

        var summary = await runner.RunAsync();
        Assert.True(summary.Drained);
        await tap.WaitForAsync(18, TimeSpan.FromSeconds(10));

        var noise = Unique(tap.Records, "VT-NOISE-1");
        Assert.Equal(Enumerable.Range(1, 6).Select(i => (uint)i), noise.Select(r => r.Seq));
        Assert.Equal(Enumerable.Range(0, 6).Select(i => runner.StartUtc + 60L * i), noise.Select(r => r.T));
        double[] levels = [60, 60, 75, 75, 0, 60];
        for (int i = 0; i < 6; i++)
        {
            if (i == 4)
            {
                // The meter was silent for the whole minute: fault bit, no level.
                Assert.Equal(QualityBits.SensorFault, Evidence(noise[i].Q));
                Assert.False(noise[i].M.TryGetProperty("laeq", out _));
                continue;
            }
            Assert.Equal(0, Evidence(noise[i].Q));
            Assert.InRange(noise[i].Value("laeq"), levels[i] * 0.99 - 0.1, levels[i] * 1.01 + 0.1);
            Assert.InRange(noise[i].Value("lafmax"), noise[i].Value("laeq"), levels[i] * 1.01 + 0.1);
        }

        var fume = Unique(tap.Records, "VT-FUME-1");
        Assert.Equal(Enumerable.Range(1, 6).Select(i => (uint)i), fume.Select(r => r.Seq));
        // The fume monitor warms up for 5 minutes after boot; the lid was open in minute 1.
        Assert.Equal([4, 4 | 16, 4, 4, 4, 0], fume.Select(r => Evidence(r.Q)));
        Assert.All(fume, r => Assert.InRange(r.Value("fume"), 2.5 * 0.99 - 0.001, 2.5 * 1.01 + 0.001));
        Assert.All(fume, r => Assert.Equal(1.0, r.Value("fan")));
        Assert.All(fume, r => Assert.Equal(0.0, r.Value("pur")));
        Assert.All(fume, r => Assert.InRange(r.Value("fan_a"), 2.9, 3.1));

        var dust = Unique(tap.Records, "VT-DUST-1");
        Assert.Equal(Enumerable.Range(1, 6).Select(i => (uint)i), dust.Select(r => r.Seq));
        Assert.Equal([4, 0, 0, 0, 0, 0], dust.Select(r => Evidence(r.Q))); // the PMS5003 needs 30 s after power-up
        Assert.All(dust, r => Assert.Equal(180, r.Value("pm10")));
        Assert.All(dust, r => Assert.Equal(90, r.Value("pm25")));

        var events = tap.Other.Where(m => m.Topic.EndsWith("/event")).Select(m => JsonDocument.Parse(m.Payload).RootElement).ToList();
        Assert.Contains(events, e => e.GetProperty("dev").GetString() == "VT-FUME-1" && e.GetProperty("type").GetString() == "tamper");
        Assert.Contains(events, e => e.GetProperty("dev").GetString() == "VT-NOISE-1" && e.GetProperty("type").GetString() == "sensor_fault");
        Assert.Contains(events, e => e.GetProperty("dev").GetString() == "VT-NOISE-1" && e.GetProperty("type").GetString() == "boot");

        // The status is retained: a new subscriber gets it at once.
        await using var late = await TelemetryTap.StartAsync(broker.Host, broker.Port, "iot/v1/VT-NOISE-1/status");
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (late.Other.Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        var status = Assert.Single(late.Other);
        Assert.True(status.Retain);
        var doc = JsonDocument.Parse(status.Payload).RootElement;
        Assert.True(doc.GetProperty("online").GetBoolean());
        Assert.Equal(1, doc.GetProperty("boot").GetInt32());
    }

    [Fact]
    public async Task An_outage_delivers_every_record_after_reconnect_oldest_first_with_the_backfill_bit()
    {
        await using var tap = await TelemetryTap.StartAsync(broker.Host, broker.Port, "iot/v1/+/telemetry", "iot/v1/+/backfill");
        await using var runner = Runner("""
            duration: 20m
            devices:
              - id: VT-OUT-1
                site: noise
                levels: {laeq: 62}
                outages: [{from: 3m, for: 8m}]
            """, speed: 600);

        Assert.True((await runner.RunAsync()).Drained);
        await tap.WaitForAsync(20, TimeSpan.FromSeconds(10));

        var arrivals = tap.Records.Where(r => r.Dev == "VT-OUT-1").ToList();
        var unique = Unique(arrivals, "VT-OUT-1");
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (uint)i), unique.Select(r => r.Seq)); // none missing
        // Oldest first: each first arrival comes after the previous seq's first arrival.
        var firstArrival = arrivals.Select((r, i) => (r.Seq, i)).GroupBy(x => x.Seq).ToDictionary(g => g.Key, g => g.Min(x => x.i));
        Assert.Equal(firstArrival.OrderBy(kv => kv.Key).Select(kv => kv.Value), firstArrival.Values.Order());

        // Records closed during the outage wait in the journal. Those that leave more than two minutes after their
        // window ended (windows 2m..8m, seq 3..9: the network returns at 11m) carry the backfill bit; nothing else
        // is set. (At 600x a slow first connection or reconnect can make a neighbour late too, so others are not pinned.)
        Assert.All(unique.Where(r => r.Seq is >= 3 and <= 9), r => Assert.Equal(QualityBits.Backfill, r.Q));
        Assert.All(unique, r => Assert.Equal(0, r.Q & ~QualityBits.Backfill));
        Assert.Equal(0, unique[^1].Q);
    }

    [Fact]
    public async Task A_reboot_keeps_seq_increasing_and_counts_the_boot()
    {
        await using var tap = await TelemetryTap.StartAsync(broker.Host, broker.Port, "iot/v1/+/telemetry", "iot/v1/+/backfill");
        await using var runner = Runner("""
            duration: 8m
            devices:
              - id: VT-BOOT-1
                site: noise
                levels: {laeq: 58}
                reboots: [{at: 3m30s, down: 20s}]
            """, speed: 600);

        Assert.True((await runner.RunAsync()).Drained);
        Assert.Equal(2u, runner.Gateways[0].Runtime!.Boot);
        int written = runner.Gateways[0].RecordsWritten;
        await tap.WaitForAsync(written, TimeSpan.FromSeconds(10));

        var unique = Unique(tap.Records, "VT-BOOT-1");
        Assert.Equal(Enumerable.Range(1, written).Select(i => (uint)i), unique.Select(r => r.Seq));
        // The power went at 3m30s: that minute's first half is lost with the RAM, and the record the new boot closes
        // for minute 3 (3m50s-4m) carries bit 64. Every minute appears once.
        Assert.Equal(Enumerable.Range(0, 8).Select(i => runner.StartUtc + 60L * i), unique.Select(r => r.T));
        Assert.Equal([0, 0, 0, QualityBits.PowerInterruption, 0, 0, 0, 0], unique.Select(r => Evidence(r.Q)));
    }

    [Fact]
    public async Task Twelve_hundred_gateways_in_one_process_deliver_every_record()
    {
        const int gateways = 1200, minutes = 3;
        await using var tap = await TelemetryTap.StartAsync(broker.Host, broker.Port, "iot/v1/+/telemetry", "iot/v1/+/backfill");
        var clock = Stopwatch.StartNew();
        await using var runner = Runner($$$"""
            duration: {{{minutes}}}m
            devices:
              - {id: "VS-N-{n}", count: {{{gateways / 3}}}, site: noise, levels: {laeq: 61}}
              - {id: "VS-D-{n}", count: {{{gateways / 3}}}, site: dust, levels: {pm10: 120}}
              - {id: "VS-F-{n}", count: {{{gateways / 3}}}, site: fume, levels: {fume: 1.2, fan_a: 3, pur_a: 1.5}}
            """, speed: 240);
        var summary = await runner.RunAsync();
        await tap.WaitForAsync(gateways * minutes, TimeSpan.FromSeconds(10));
        clock.Stop();

        Assert.True(summary.Drained);
        Assert.Equal(gateways * minutes, summary.RecordsWritten);
        var distinct = tap.Records.Where(r => r.Dev.StartsWith("VS-")).Select(r => (r.Dev, r.Seq)).Distinct().Count();
        Assert.Equal(gateways * minutes, distinct);
        output.WriteLine($"{gateways} gateways x {minutes} simulated minutes: {distinct} records in {summary.Elapsed.TotalSeconds:0.0} s " +
            $"(run incl. connect and drain; {clock.Elapsed.TotalSeconds:0.0} s with setup) = {distinct / summary.Elapsed.TotalSeconds:0} records/s, " +
            $"{gateways * (minutes * 60 + 1) / summary.Elapsed.TotalSeconds:0} gateway-ticks/s");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }
}
