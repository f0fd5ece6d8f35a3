using Iot.Mqtt.Tests.Support;
using Iot.Testing;
using Xunit;

namespace Iot.Mqtt.Tests.Interop;

/// <summary>Publishing and subscribing against a real Mosquitto, for MQTT 3.1.1 and 5.0.</summary>
[Collection(BrokerCollection.Name)]
public sealed class PublishSubscribeTests(BrokerFixture fixture)
{
    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Qos1_messages_round_trip_in_order(MqttProtocolVersion version)
    {
        var topic = $"test/{Guid.NewGuid():N}/telemetry";
        await using var subscriber = await MqttTest.ConnectAsync(MqttTest.Options(fixture.Broker, version, MqttTest.Unique("sub")));
        Assert.Equal(MqttReasonCode.GrantedQoS1, await subscriber.SubscribeAsync(topic));
        await using var publisher = await MqttTest.ConnectAsync(MqttTest.Options(fixture.Broker, version, MqttTest.Unique("pub")));

        await Task.WhenAll(Enumerable.Range(0, 100).Select(i => publisher.PublishAsync(topic, $"m{i}")));

        for (var i = 0; i < 100; i++)
        {
            var message = await subscriber.ReceiveAsync();
            Assert.Equal((topic, $"m{i}", MqttQualityOfService.AtLeastOnce, false), (message.Topic, message.Text(), message.Qos, message.Retain));
            await message.AcknowledgeAsync();
        }
        Assert.Equal(0, publisher.InflightCount);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Shared_subscription_splits_the_load_without_duplicates(MqttProtocolVersion version)
    {
        var topic = $"test/{Guid.NewGuid():N}/telemetry";
        var filter = $"$share/fleet/{topic}";
        MqttClientOptions Options(string id)
        {
            var options = MqttTest.Options(fixture.Broker, version, id);
            options.AutoAcknowledge = true;
            return options;
        }
        await using var first = await MqttTest.ConnectAsync(Options(MqttTest.Unique("share1")));
        await using var second = await MqttTest.ConnectAsync(Options(MqttTest.Unique("share2")));
        await first.SubscribeAsync(filter);
        await second.SubscribeAsync(filter);
        await using var publisher = await MqttTest.ConnectAsync(MqttTest.Options(fixture.Broker, version, MqttTest.Unique("pub")));

        const int count = 200;
        await Task.WhenAll(Enumerable.Range(0, count).Select(i => publisher.PublishAsync(topic, $"{i}")));

        var received = new List<string>[] { [], [] };
        var readers = new[] { first, second }.Select(async (client, n) =>
        {
            while (received[0].Count + received[1].Count < count)
            {
                using var cts = new CancellationTokenSource(MqttTest.Timeout);
                if (!await client.Messages.WaitToReadAsync(cts.Token)) break;
                while (client.Messages.TryRead(out var message))
                {
                    lock (received) received[n].Add(message.Text());
                }
            }
        }).ToArray();
        await Task.WhenAny(Task.WhenAll(readers), MqttTest.WaitUntilAsync(() => { lock (received) return received[0].Count + received[1].Count >= count; }, "all messages arrived"));

        lock (received)
        {
            Assert.NotEmpty(received[0]);
            Assert.NotEmpty(received[1]);
            var all = received[0].Concat(received[1]).ToList();
            Assert.Equal(count, all.Count);
            Assert.Equal(Enumerable.Range(0, count).Select(i => $"{i}").Order(), all.Order());
        }
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Retained_message_reaches_a_late_subscriber_until_cleared(MqttProtocolVersion version)
    {
        var topic = $"test/{Guid.NewGuid():N}/status";
        await using var publisher = await MqttTest.ConnectAsync(MqttTest.Options(fixture.Broker, version, MqttTest.Unique("pub")));
        await publisher.PublishAsync(topic, "{\"online\":true}", retain: true);

        await using (var late = await MqttTest.ConnectAsync(MqttTest.Options(fixture.Broker, version, MqttTest.Unique("late"))))
        {
            await late.SubscribeAsync(topic);
            var retained = await late.ReceiveAsync();
            Assert.True(retained.Retain);
            Assert.Equal("{\"online\":true}", retained.Text());
        }

        // An empty retained payload deletes the retained message (MQTT 3.3.1.3).
        await publisher.PublishAsync(topic, ReadOnlyMemory<byte>.Empty, retain: true);
        await using var later = await MqttTest.ConnectAsync(MqttTest.Options(fixture.Broker, version, MqttTest.Unique("later")));
        await later.SubscribeAsync(topic);
        await publisher.PublishAsync(topic, "live");
        var first = await later.ReceiveAsync();
        Assert.Equal(("live", false), (first.Text(), first.Retain));
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Will_is_published_when_the_connection_dies_without_disconnect(MqttProtocolVersion version)
    {
        var id = MqttTest.Unique("gw");
        var statusTopic = $"iot/v1/{id}/status";
        await using var watcher = await MqttTest.ConnectAsync(MqttTest.Options(fixture.Broker, version, MqttTest.Unique("watch")));
        await watcher.SubscribeAsync(statusTopic);

        var options = MqttTest.Options(fixture.Broker, version, id);
        options.AutoReconnect = false;
        options.Will = new MqttWillMessage { Topic = statusTopic, Payload = MqttTest.Bytes($"{{\"v\":1,\"dev\":\"{id}\",\"online\":false}}"), Qos = MqttQualityOfService.AtLeastOnce };
        await using var gateway = await MqttTest.ConnectAsync(options);
        var disconnected = new TaskCompletionSource<MqttDisconnectedEventArgs>();
        gateway.Disconnected += (_, e) => disconnected.TrySetResult(e);

        await gateway.DropConnectionAsync();

        var will = await watcher.ReceiveAsync();
        Assert.Equal((statusTopic, $"{{\"v\":1,\"dev\":\"{id}\",\"online\":false}}"), (will.Topic, will.Text()));
        var e = await disconnected.Task.WaitAsync(MqttTest.Timeout);
        Assert.False(e.WillReconnect);
        Assert.False(gateway.IsConnected);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Publishers_wait_for_a_full_inflight_window(MqttProtocolVersion version)
    {
        var topic = $"test/{Guid.NewGuid():N}/window";
        var options = MqttTest.Options(fixture.Broker, version, MqttTest.Unique("pub"));
        options.MaximumInflight = 8;
        await using var publisher = await MqttTest.ConnectAsync(options);
        var peak = 0;
        var publishes = new List<Task>();
        for (var i = 0; i < 300; i++)
        {
            publishes.Add(publisher.PublishAsync(topic, "x"));
            peak = Math.Max(peak, publisher.InflightCount);
        }
        await Task.WhenAll(publishes);
        Assert.InRange(peak, 1, 8);
        Assert.Equal(0, publisher.InflightCount);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Unsubscribe_stops_delivery(MqttProtocolVersion version)
    {
        var topic = $"test/{Guid.NewGuid():N}";
        var options = MqttTest.Options(fixture.Broker, version, MqttTest.Unique("sub"));
        options.AutoAcknowledge = true;
        await using var client = await MqttTest.ConnectAsync(options);
        var codes = await client.SubscribeAsync([new MqttSubscription($"{topic}/a"), new MqttSubscription($"{topic}/b", MqttQualityOfService.AtMostOnce)]);
        Assert.Equal([MqttReasonCode.GrantedQoS1, MqttReasonCode.Success], codes);

        await client.UnsubscribeAsync($"{topic}/a");
        await client.PublishAsync($"{topic}/a", "gone");
        await client.PublishAsync($"{topic}/b", "here", MqttQualityOfService.AtMostOnce);
        var message = await client.ReceiveAsync();
        Assert.Equal(($"{topic}/b", "here"), (message.Topic, message.Text()));
    }

    [Fact]
    public async Task Qos2_is_refused_clearly()
    {
        await using var client = await MqttTest.ConnectAsync(MqttTest.Options(fixture.Broker, MqttProtocolVersion.V500, MqttTest.Unique("q2")));
        Assert.Throws<NotSupportedException>(() => { _ = client.PublishAsync("t", "x", MqttQualityOfService.ExactlyOnce); });
        await Assert.ThrowsAsync<NotSupportedException>(() => client.SubscribeAsync("t", MqttQualityOfService.ExactlyOnce));
    }
}
