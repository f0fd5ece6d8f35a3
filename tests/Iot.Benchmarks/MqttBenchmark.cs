using System.Diagnostics;
using Iot.Mqtt;
using Iot.Stack;

namespace Iot.Benchmarks;

/// <summary>
/// `./iot bench mqtt`: our client against Mosquitto's own tools through the private broker.
/// Each subscriber drains the same 200,000 QoS 1 messages of 200 bytes that one of our publishers
/// queued for its persistent session, so both are timed on the same stream, without the publisher
/// in the way; the publisher is timed from the first PUBLISH to the last PUBACK.
/// </summary>
internal static class MqttBenchmark
{
    public static async Task<int> Run(int messages, int payloadBytes)
    {
        Console.WriteLine($"MQTT benchmark: {messages:N0} QoS 1 messages of {payloadBytes} bytes through a private Mosquitto");
        using var broker = MosquittoBroker.Start(new MosquittoOptions { MaxQueuedMessages = messages * 2, MaxInflightMessages = 1000 });
        var payload = new byte[payloadBytes];
        Random.Shared.NextBytes(payload);

        // Baseline: mosquitto_sub's session queues the stream, then mosquitto_sub drains it.
        MosquittoSub.Subscribe(broker.Port, "bench-baseline", "bench/baseline");
        var publishBaseline = await Publish(broker, "bench/baseline", payload, messages);
        var baseline = MosquittoSub.Drain(broker.Port, "bench-baseline", "bench/baseline", messages);

        // Ours: the same for our client's persistent session.
        var subscriberOptions = new MqttClientOptions
        {
            Host = broker.Host, Port = broker.Port, ClientId = "bench-ours", ProtocolVersion = MqttProtocolVersion.V311,
            CleanStart = false, AutoAcknowledge = true, AutoReconnect = false,
        };
        await using (var first = new MqttClient(subscriberOptions))
        {
            await first.ConnectAsync();
            await first.SubscribeAsync("bench/ours");
            await first.DisconnectAsync();
        }
        var publishOurs = await Publish(broker, "bench/ours", payload, messages);
        var ours = await Drain(subscriberOptions, messages, payload);

        double Rate(TimeSpan t) => messages / t.TotalSeconds;
        var publisherRate = Math.Min(Rate(publishBaseline), Rate(publishOurs));
        Console.WriteLine();
        Console.WriteLine($"  publisher (ours, QoS 1, to PUBACK)   {Rate(publishBaseline),10:N0} and {Rate(publishOurs),10:N0} msg/s   target ≥ 40,000");
        Console.WriteLine($"  subscriber mosquitto_sub             {Rate(baseline),10:N0} msg/s");
        Console.WriteLine($"  subscriber ours                      {Rate(ours),10:N0} msg/s");
        var ratio = Rate(ours) / Rate(baseline);
        Console.WriteLine($"  ratio ours / mosquitto_sub           {ratio,10:F2}         target ≥ 0.90");
        var met = ratio >= 0.9 && publisherRate >= 40_000;
        Console.WriteLine(met ? "  targets met" : "  TARGETS NOT MET");
        return met ? 0 : 1;
    }

    private static async Task<TimeSpan> Publish(MosquittoBroker broker, string topic, byte[] payload, int messages)
    {
        await using var publisher = new MqttClient(new MqttClientOptions { Host = broker.Host, Port = broker.Port, ClientId = "bench-publisher", AutoReconnect = false });
        await publisher.ConnectAsync();
        var watch = Stopwatch.StartNew();
        var acks = new Task[messages];
        for (var i = 0; i < messages; i++) acks[i] = publisher.PublishAsync(topic, payload);
        await Task.WhenAll(acks);
        watch.Stop();
        await publisher.DisconnectAsync();
        return watch.Elapsed;
    }

    /// <summary>Times our subscriber draining its session; every message is checked, so the count is honest.</summary>
    private static async Task<TimeSpan> Drain(MqttClientOptions options, int messages, byte[] payload)
    {
        await using var subscriber = new MqttClient(options);
        var watch = Stopwatch.StartNew();
        await subscriber.ConnectAsync();
        var received = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        void Check(MqttMessage m)
        {
            if (m.Topic != "bench/ours" || !m.Payload.Span.SequenceEqual(payload))
                throw new InvalidDataException($"message {received} is not the one published: {m}");
            received++;
        }
        while (received < messages)
        {
            Check(await subscriber.Messages.ReadAsync(timeout.Token));
            while (received < messages && subscriber.Messages.TryRead(out var more)) Check(more);
        }
        watch.Stop();
        await subscriber.DisconnectAsync();
        return watch.Elapsed;
    }
}
