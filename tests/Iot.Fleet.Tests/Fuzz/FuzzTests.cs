using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Iot.Fleet.Tests.EndToEnd;
using Xunit;
using Xunit.Abstractions;
using static Iot.Fleet.Tests.EndToEnd.PipelineFixture;

namespace Iot.Fleet.Tests.Fuzz;

/// <summary>
/// Hostile gateways against the real broker, fleet and InfluxDB: at least 100,000 MQTT packets (malformed frames on
/// their own connections, and PUBLISH packets carrying generated messages with wrong types, sizes and times in every
/// field of every device topic), while a good gateway publishes a breach. Afterwards the fleet is up and ready, every
/// good record is in SQLite and InfluxDB, its lead is raised and every API answers 200. `./iot fuzz` runs it longer
/// (IOT_FUZZ_SCALE, default 1).
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class FuzzTests(PipelineFixture pipeline, ITestOutputHelper output)
{
    private const int HostileDevices = 20, GoodRecords = 120;

    private static int Scale => int.TryParse(Environment.GetEnvironmentVariable("IOT_FUZZ_SCALE"), out var s) && s > 0 ? s : 1;

    [Fact]
    public async Task A_hundred_thousand_hostile_packets_stop_nothing_and_lose_nothing()
    {
        int packetTarget = 100_000 * Scale, messageCount = 98_000 * Scale;
        var hostile = Enumerable.Range(0, HostileDevices).Select(i => $"GW-FUZZ-{i:D2}").ToArray();
        await pipeline.Register("F-EVIL", "fume", hostile);
        await pipeline.Register("F-GOOD", "fume", "GW-FUZZ-GOOD");
        var before = await pipeline.GetObject("/healthz");
        var clock = Stopwatch.StartNew();

        using var stopGood = new CancellationTokenSource();
        var good = Task.Run(() => PublishGoodStream(stopGood.Token));

        var packets = 0;
        var malformedFrames = 0;
        // Frames the broker must refuse, each on a connection of its own.
        for (var round = 0; round < 100 * Scale; round++)
            foreach (var frame in RawMqtt.MalformedFrames($"iot/v1/{hostile[0]}/telemetry"))
            {
                await using var raw = await RawMqtt.Connect(pipeline.Broker.Host, pipeline.Broker.Port, hostile[round % HostileDevices]);
                raw.Write(frame);
                await TryFlush(raw);
                packets += raw.Packets;
                malformedFrames++;
            }

        // Well-formed packets carrying fuzzed messages, a tenth of them QoS 1.
        var connections = new RawMqtt?[HostileDevices];
        var sent = 0;
        while (sent < messageCount)
        {
            var chunk = HostileDeviceMessages.Generate("DEVICE", Math.Min(5_000, messageCount - sent), DateTimeOffset.UtcNow);
            for (var i = 0; i < chunk.Count; i++, sent++)
            {
                var d = sent % HostileDevices;
                if (connections[d] is not { Open: true })
                {
                    if (connections[d] is { } closed) await closed.DisposeAsync();
                    connections[d] = await RawMqtt.Connect(pipeline.Broker.Host, pipeline.Broker.Port, hostile[d]);
                    packets++; // its CONNECT
                }
                var m = chunk[i];
                try
                {
                    connections[d]!.Publish(m.Topic.Replace("DEVICE", hostile[d], StringComparison.Ordinal), Replace(m.Payload, hostile[d]), sent % 10 == 0 ? 1 : 0);
                    packets++;
                    if (sent % 200 == 199) await connections[d]!.Flush();
                }
                catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
                {
                    connections[d] = null;
                }
            }
        }
        foreach (var c in connections.OfType<RawMqtt>())
        {
            await TryFlush(c);
            await c.DisposeAsync();
        }
        output.WriteLine($"sent {packets:N0} packets ({malformedFrames:N0} malformed frames, {sent:N0} fuzzed messages) in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(packets >= packetTarget, $"{packets} packets sent, {packetTarget} wanted");

        await good;
        await pipeline.Eventually(() => Task.FromResult(pipeline.JournalCount("GW-FUZZ-GOOD")), n => n == GoodRecords, "every good record in the journal", 120);
        await pipeline.Eventually(() => pipeline.InfluxCount("GW-FUZZ-GOOD"), n => n == GoodRecords, "every good reading in InfluxDB", 120);
        var leads = await pipeline.Eventually(() => pipeline.Leads("F-GOOD", "fume.purifier_off"), l => l.Count == 1, "the good gateway's lead");
        Assert.Equal("fume.purifier_off", (string)leads[0]!["rule"]!);

        var after = await pipeline.GetObject("/healthz");
        Assert.True((bool)after["ready"]!, after.ToJsonString());
        var rejected = (long)after["messagesRejected"]! - (long)before["messagesRejected"]!;
        output.WriteLine($"the fleet rejected {rejected:N0} messages; {clock.Elapsed.TotalSeconds:F1} s in all");
        Assert.True(rejected >= 10_000, $"only {rejected} messages were rejected; /healthz: {after.ToJsonString()}\n{pipeline.Fleet.RecentOutput}");
        Assert.All(after["stages"]!.AsArray(), s => Assert.Equal(0, (int)s!["failures"]!));
        using var http = pipeline.Fleet.Http();
        foreach (var path in new[] { "/api/leads", "/api/alerts", "/api/sites", "/api/rejections", "/api/conflicts", "/api/devices/GW-FUZZ-00", "/api/reports/monthly",
                     $"/api/leads/{(long)leads[0]!["id"]!}", "/api/campaigns", "/api/notifications" })
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(path)).StatusCode);
    }

    /// <summary>A breach among clean minutes, one record a message, spread over the fuzzing.</summary>
    private async Task PublishGoodStream(CancellationToken stop)
    {
        await using var gateway = await pipeline.Gateway("GW-FUZZ-GOOD");
        var start = Minute(DateTimeOffset.UtcNow.AddMinutes(-GoodRecords - 5));
        for (var i = 0; i < GoodRecords && !stop.IsCancellationRequested; i++)
        {
            var m = i is >= 40 and < 55 ? """{"fume":0.8,"fan":1,"pur":0}""" : """{"fume":0.8,"fan":1,"pur":1}""";
            await gateway.PublishAsync("iot/v1/GW-FUZZ-GOOD/telemetry", Envelope("GW-FUZZ-GOOD", ((uint)(i + 1), start + i * 60, 0, m)));
            await Task.Delay(50, stop);
        }
    }

    private static byte[] Replace(byte[] payload, string device)
    {
        // The generator writes "DEVICE" where the device id goes; mutated bytes may have broken it, which is fine.
        var at = payload.AsSpan().IndexOf("\"DEVICE\""u8);
        return at < 0 ? payload : [.. payload[..(at + 1)], .. System.Text.Encoding.UTF8.GetBytes(device), .. payload[(at + 7)..]];
    }

    private static async Task<bool> TryFlush(RawMqtt connection)
    {
        try
        {
            await connection.Flush();
            return true;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            return false; // the broker closed it, as it should for a malformed frame
        }
    }
}
