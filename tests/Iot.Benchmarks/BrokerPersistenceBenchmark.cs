using System.Diagnostics;
using Iot.Testing;
using MQTTnet;
using MQTTnet.Formatter;
using Iot.Stack;

namespace Iot.Benchmarks;

/// <summary>
/// `./iot bench broker`: what saving the broker's state costs. Gateway-like publishers (each waits for its PUBACK
/// before the next message, as a gateway's uplink does) send QoS 1 telemetry to a persistent fleet session, on a
/// broker that also holds one retained status per gateway, once with the fleet connected and draining and once with
/// the fleet away (every message is queued, so every message is a change to save). Each persistence setting runs
/// against the same load; the baseline is Mosquitto without persistence.
/// </summary>
internal static class BrokerPersistenceBenchmark
{
    private const int PayloadBytes = 250;

    public static async Task<int> Run(int messages, int publishers, int retained, int[] backlogs)
    {
        Console.WriteLine($"Broker persistence benchmark: {messages:N0} QoS 1 messages of {PayloadBytes} bytes from {publishers} gateway-like publishers,");
        Console.WriteLine($"{retained:N0} retained status messages in the store; msg/s to PUBACK with the fleet connected and with it away");
        Console.WriteLine();
        Console.WriteLine($"  {"setting",-40} {"fleet connected",16} {"fleet away",12} {"store file",12}");
        (string Name, bool Persistence, int Changes)[] settings =
        [
            ("no persistence (baseline)", false, 0),
            ("autosave_interval 10 (seconds)", true, 0),
            ("autosave_on_changes, interval 1", true, 1),
            ("autosave_on_changes, interval 100", true, 100),
            ("autosave_on_changes, interval 1000", true, 1000),
        ];
        foreach (var (name, persistence, changes) in settings)
        {
            var state = Directory.CreateTempSubdirectory("iot-bench-broker-").FullName;
            try
            {
                using var broker = MosquittoBroker.Start(new MosquittoOptions { StateDirectory = state, Persistence = persistence, AutosaveChanges = changes });
                await Retain(broker, retained);
                var fleet = Fleet(broker);
                await using (var first = await TestMqttClient.ConnectAsync(fleet)) await first.SubscribeAsync("bench/t/#");

                double connected;
                await using (var drain = await TestMqttClient.ConnectAsync(fleet))
                {
                    using var stop = new CancellationTokenSource();
                    var reading = Task.Run(async () => { try { await foreach (var _ in drain.Messages.ReadAllAsync(stop.Token)) { } } catch (OperationCanceledException) { } });
                    connected = await Publish(broker, messages, publishers, "live");
                    stop.Cancel();
                    await reading;
                    await drain.DisconnectAsync();
                }
                var away = await Publish(broker, messages, publishers, "queued");
                var file = Path.Combine(state, "mosquitto.db");
                var size = File.Exists(file) ? $"{new FileInfo(file).Length / 1024.0 / 1024:F1} MB" : "-";
                Console.WriteLine($"  {name,-40} {connected,16:N0} {away,12:N0} {size,12}");
            }
            finally
            {
                Directory.Delete(state, recursive: true);
            }
        }

        // A save writes the whole store, so its cost grows with the fleet's backlog while the fleet is away.
        Console.WriteLine();
        Console.WriteLine($"  autosave_on_changes, interval 1, fleet away, {publishers} publishers, with a backlog already queued:");
        foreach (var backlog in backlogs)
        {
            var state = Directory.CreateTempSubdirectory("iot-bench-broker-").FullName;
            try
            {
                // Queue the backlog with time-based saving (fast), stop cleanly (Mosquitto saves), start again saving on changes.
                using (var filling = MosquittoBroker.Start(new MosquittoOptions { StateDirectory = state, Persistence = true, AutosaveChanges = 0 }))
                {
                    await using (var first = await TestMqttClient.ConnectAsync(Fleet(filling))) await first.SubscribeAsync("bench/t/#");
                    await using var fill = await TestMqttClient.ConnectAsync(filling.Host, filling.Port, "bench-fill");
                    var payload = new byte[PayloadBytes];
                    for (var done = 0; done < backlog; done += 10_000)
                        await Task.WhenAll(Enumerable.Range(0, Math.Min(10_000, backlog - done)).Select(_ => fill.PublishAsync("bench/t/fill", payload)));
                    await fill.DisconnectAsync();
                }
                using var broker = MosquittoBroker.Start(new MosquittoOptions { StateDirectory = state, Persistence = true, AutosaveChanges = 1 });
                var away = await Publish(broker, Math.Min(messages, 5_000), publishers, "queued");
                var size = new FileInfo(Path.Combine(state, "mosquitto.db")).Length / 1024.0 / 1024;
                Console.WriteLine($"  {$"backlog {backlog:N0}",-40} {"",16} {away,12:N0} {$"{size:F1} MB",12}");
            }
            finally
            {
                Directory.Delete(state, recursive: true);
            }
        }
        return 0;
    }

    private static MqttClientOptions Fleet(MosquittoBroker broker) =>
        TestMqttClient.Options(broker.Host, broker.Port, "bench-fleet", MqttProtocolVersion.V311).WithCleanSession(false).Build();

    /// <summary>One retained status per gateway, as the fleet's broker holds.</summary>
    private static async Task Retain(MosquittoBroker broker, int count)
    {
        await using var client = await TestMqttClient.ConnectAsync(broker.Host, broker.Port, "bench-status");
        var status = new byte[150];
        await Task.WhenAll(Enumerable.Range(0, count).Select(i => client.PublishAsync($"bench/s/{i}", status, retain: true)));
        await client.DisconnectAsync();
    }

    /// <summary>msg/s over all publishers, each sending its share one PUBACK at a time.</summary>
    private static async Task<double> Publish(MosquittoBroker broker, int messages, int publishers, string run)
    {
        var payload = new byte[PayloadBytes];
        Random.Shared.NextBytes(payload);
        var clients = new List<TestMqttClient>();
        try
        {
            for (var p = 0; p < publishers; p++)
            {
                clients.Add(await TestMqttClient.ConnectAsync(broker.Host, broker.Port, $"bench-{run}-{p}"));
            }
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(clients.Select(async (client, p) =>
            {
                for (var i = p; i < messages; i += publishers) await client.PublishAsync($"bench/t/{p}", payload);
            }));
            watch.Stop();
            return messages / watch.Elapsed.TotalSeconds;
        }
        finally
        {
            foreach (var client in clients) await client.DisposeAsync();
        }
    }
}
