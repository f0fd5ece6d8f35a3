using System.Diagnostics;
using System.Threading.Channels;
using Iot.Stack;
using MQTTnet;
using Net = MQTTnet;

namespace Iot.Benchmarks;

/// <summary>
/// `./iot bench mqtt`: MQTTnet, the library the fleet and the gateways use, against Mosquitto's own tools, through one private broker
/// in one run, on the same stream: `messages` QoS 1 messages of `payloadBytes` bytes, MQTT 3.1.1.
/// Each contender's publisher fills its own persistent session (timed from the first PUBLISH to the
/// last PUBACK), then its subscriber drains that session (timed from connecting to the last message),
/// so no subscriber waits on a publisher. Every figure is printed as a ratio to mosquitto_pub or
/// mosquitto_sub measured in the same run: absolute rates do not survive a change of machine.
/// The fleet's ingest acknowledges after storing; the "acknowledged by the application" rows measure that path.
/// </summary>
internal static class MqttBenchmark
{
    /// <summary>The broker's in-flight limit, and the publish window of the MQTTnet publisher.</summary>
    private const int Inflight = 1000;

    private sealed record Figures(string Name, double Rate);

    public static async Task<int> Run(int messages, int payloadBytes)
    {
        Console.WriteLine($"MQTT benchmark: {messages:N0} QoS 1 messages of {payloadBytes} bytes through a private Mosquitto (MQTT 3.1.1)");
        using var broker = MosquittoBroker.Start(new MosquittoOptions { MaxQueuedMessages = messages * 2, MaxInflightMessages = Inflight });
        var payload = new byte[payloadBytes];
        Random.Shared.NextBytes(payload);
        double Rate(TimeSpan t) => messages / t.TotalSeconds;

        // Each contender runs right after a Mosquitto-tools round on a stream of its own (mosquitto_pub fills
        // mosquitto_sub's session, mosquitto_sub drains it), and its ratios are to that round: on a machine
        // others load at the same time, the baseline next to a run is the fair one.
        var rounds = 0;
        async Task<(Figures Publisher, Figures Subscriber, double Pub, double Sub)> Round(string name, string how,
            Func<string, Task> subscribe, Func<string, Task<TimeSpan>> publish, Func<string, Task<TimeSpan>> drain)
        {
            rounds++;
            var baselineTopic = $"bench/mosquitto-{rounds}";
            MosquittoSub.Subscribe(broker.Port, $"bench-mosquitto-{rounds}", baselineTopic);
            var pub = Rate(MosquittoPub.Publish(broker.Port, baselineTopic, payload, messages));
            var sub = Rate(MosquittoSub.Drain(broker.Port, $"bench-mosquitto-{rounds}", baselineTopic, messages));
            var topic = $"bench/contender-{rounds}";
            await subscribe(topic);
            var publisher = new Figures(name, Rate(await publish(topic)));
            var subscriber = new Figures($"{name}, acknowledged {how}", Rate(await drain(topic)));
            return (publisher, subscriber, pub, sub);
        }

        var results = new List<(Figures Publisher, Figures Subscriber, double Pub, double Sub)>();
        foreach (var autoAcknowledge in new[] { true, false })
        {
            var how = autoAcknowledge ? "on receipt" : "by the application";
            var mqttnet = MqttnetSession(broker, $"bench-mqttnet-{autoAcknowledge}");
            results.Add(await Round("MQTTnet", how, t => MqttnetSubscribe(mqttnet, t), t => MqttnetPublish(broker, t, payload, messages),
                t => MqttnetDrain(mqttnet, t, payload, messages, autoAcknowledge)));
        }

        Console.WriteLine();
        Console.WriteLine($"  {"publisher, QoS 1 to the last PUBACK",-48} {"msg/s",10}   {"mosquitto_pub",13}   ratio");
        foreach (var r in results) Console.WriteLine($"  {r.Publisher.Name,-48} {r.Publisher.Rate,10:N0}   {r.Pub,13:N0}   {r.Publisher.Rate / r.Pub:F2}");
        Console.WriteLine($"  {"subscriber, draining its persistent session",-48} {"msg/s",10}   {"mosquitto_sub",13}   ratio");
        foreach (var r in results) Console.WriteLine($"  {r.Subscriber.Name,-48} {r.Subscriber.Rate,10:N0}   {r.Sub,13:N0}   {r.Subscriber.Rate / r.Sub:F2}");

        // The rule that let MQTTnet replace our own client (tests/Iot.Benchmarks/README.md): its subscriber keeps ≥ 0.9 × mosquitto_sub.
        double Slower(string name) => results.Where(r => r.Publisher.Name == name).Min(r => r.Subscriber.Rate / r.Sub);
        Console.WriteLine();
        Console.WriteLine($"  slower subscriber / mosquitto_sub: MQTTnet {Slower("MQTTnet"):F2}   target ≥ 0.90");
        var met = Slower("MQTTnet") >= 0.9;
        Console.WriteLine(met ? "  MQTTnet meets the target" : "  MQTTnet DOES NOT MEET the target");
        return met ? 0 : 1;
    }

    private static Net.MqttClientOptions MqttnetSession(MosquittoBroker broker, string clientId) => new MqttClientOptionsBuilder()
        .WithTcpServer(broker.Host, broker.Port).WithClientId(clientId)
        .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V311).WithCleanSession(false)
        .Build();

    private static async Task MqttnetSubscribe(Net.MqttClientOptions session, string topic)
    {
        using var first = new MqttClientFactory().CreateMqttClient();
        await first.ConnectAsync(session);
        await first.SubscribeAsync(topic, MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce);
        await first.DisconnectAsync();
    }

    /// <summary>QoS 1 publishes with up to <see cref="Inflight"/> awaiting their PUBACK (MQTTnet has no window of its own,
    /// and more than 65,535 at once would reuse packet ids).</summary>
    private static async Task<TimeSpan> MqttnetPublish(MosquittoBroker broker, string topic, byte[] payload, int messages)
    {
        using var publisher = new MqttClientFactory().CreateMqttClient();
        await publisher.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(broker.Host, broker.Port).WithClientId("bench-publisher")
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V311).Build());
        var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build();
        using var window = new SemaphoreSlim(Inflight);
        async Task PublishOne()
        {
            try
            {
                var result = await publisher.PublishAsync(message);
                if (!result.IsSuccess) throw new InvalidOperationException($"the broker refused a publish: {result.ReasonCode}");
            }
            finally
            {
                window.Release();
            }
        }
        var watch = Stopwatch.StartNew();
        var acks = new Task[messages];
        for (var i = 0; i < messages; i++)
        {
            await window.WaitAsync();
            acks[i] = PublishOne();
        }
        await Task.WhenAll(acks);
        watch.Stop();
        await publisher.DisconnectAsync();
        return watch.Elapsed;
    }

    /// <summary>Times MQTTnet draining its session. Acknowledged by the application: the handler hands each message on
    /// (AutoAcknowledge off) and a reader acknowledges it after checking it, as the ingest does after storing.</summary>
    private static async Task<TimeSpan> MqttnetDrain(Net.MqttClientOptions options, string topic, byte[] payload, int messages, bool autoAcknowledge)
    {
        using var subscriber = new MqttClientFactory().CreateMqttClient();
        var received = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handedOn = Channel.CreateUnbounded<MqttApplicationMessageReceivedEventArgs>(new() { SingleReader = true, SingleWriter = true });
        void Check(MqttApplicationMessage m)
        {
            var body = m.Payload;
            var same = body.IsSingleSegment ? body.FirstSpan.SequenceEqual(payload) : System.Buffers.BuffersExtensions.ToArray(body).AsSpan().SequenceEqual(payload);
            if (m.Topic != topic || !same) done.TrySetException(new InvalidDataException($"message {received} is not the one published: {m.Topic}"));
            else if (++received == messages) done.TrySetResult();
        }
        subscriber.ApplicationMessageReceivedAsync += e =>
        {
            if (autoAcknowledge) Check(e.ApplicationMessage);
            else
            {
                e.AutoAcknowledge = false;
                handedOn.Writer.TryWrite(e);
            }
            return Task.CompletedTask;
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var acknowledging = autoAcknowledge ? Task.CompletedTask : Task.Run(async () =>
        {
            await foreach (var e in handedOn.Reader.ReadAllAsync(timeout.Token))
            {
                Check(e.ApplicationMessage);
                await e.AcknowledgeAsync(timeout.Token);
                if (received == messages) return;
            }
        });
        var watch = Stopwatch.StartNew();
        await subscriber.ConnectAsync(options, timeout.Token);
        await done.Task.WaitAsync(timeout.Token);
        await acknowledging;
        watch.Stop();
        await subscriber.DisconnectAsync();
        return watch.Elapsed;
    }
}
