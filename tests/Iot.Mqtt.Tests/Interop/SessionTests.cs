using Iot.Mqtt.Tests.Support;
using Iot.Testing;
using Xunit;

namespace Iot.Mqtt.Tests.Interop;

/// <summary>Persistent sessions, manual acknowledgement and reconnects against a real Mosquitto.</summary>
[Collection(BrokerCollection.Name)]
public sealed class SessionTests(BrokerFixture fixture)
{
    private MqttClientOptions Persistent(MqttProtocolVersion version, string clientId)
    {
        var options = MqttTest.Options(fixture.Broker, version, clientId);
        options.CleanStart = false;
        options.SessionExpiryInterval = TimeSpan.FromMinutes(5);
        return options;
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Persistent_subscriber_gets_what_was_published_while_it_was_away(MqttProtocolVersion version)
    {
        var topic = $"test/{Guid.NewGuid():N}/telemetry";
        var options = Persistent(version, MqttTest.Unique("fleet"));
        options.AutoAcknowledge = true;
        options.ReconnectInitialDelay = TimeSpan.FromMilliseconds(400);
        await using var subscriber = await MqttTest.ConnectAsync(options);
        await subscriber.SubscribeAsync(topic);
        var reconnected = new TaskCompletionSource<MqttConnectedEventArgs>();
        var disconnected = new TaskCompletionSource<MqttDisconnectedEventArgs>();
        subscriber.Connected += (_, e) => reconnected.TrySetResult(e);
        subscriber.Disconnected += (_, e) => disconnected.TrySetResult(e);
        await using var publisher = await MqttTest.ConnectAsync(MqttTest.Options(fixture.Broker, version, MqttTest.Unique("pub")));

        await subscriber.DropConnectionAsync();
        Assert.True((await disconnected.Task.WaitAsync(MqttTest.Timeout)).WillReconnect);
        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => publisher.PublishAsync(topic, $"m{i}")));

        var connected = await reconnected.Task.WaitAsync(MqttTest.Timeout);
        Assert.True(connected.IsReconnect);
        Assert.True(connected.Result.SessionPresent);
        for (var i = 0; i < 50; i++) Assert.Equal($"m{i}", (await subscriber.ReceiveAsync()).Text());
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Unacknowledged_message_is_redelivered_after_reconnect_and_acknowledged_one_is_not(MqttProtocolVersion version)
    {
        var topic = $"test/{Guid.NewGuid():N}/telemetry";
        var options = Persistent(version, MqttTest.Unique("fleet"));
        options.AutoReconnect = false;
        await using var subscriber = await MqttTest.ConnectAsync(options);
        await subscriber.SubscribeAsync(topic);
        await using var publisher = await MqttTest.ConnectAsync(MqttTest.Options(fixture.Broker, version, MqttTest.Unique("pub")));

        await publisher.PublishAsync(topic, "stored");
        await publisher.PublishAsync(topic, "not stored");
        var stored = await subscriber.ReceiveAsync();
        var notStored = await subscriber.ReceiveAsync();
        await stored.AcknowledgeAsync();
        Assert.False(notStored.IsAcknowledged);

        await subscriber.DropConnectionAsync();
        await publisher.PublishAsync(topic, "later");
        var result = await subscriber.ConnectAsync();
        Assert.True(result.SessionPresent);

        var again = await subscriber.ReceiveAsync();
        Assert.Equal(("not stored", true), (again.Text(), again.Duplicate));
        await again.AcknowledgeAsync();
        var later = await subscriber.ReceiveAsync();
        Assert.Equal("later", later.Text());
        await later.AcknowledgeAsync();
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Acknowledging_out_of_order_holds_later_pubacks(MqttProtocolVersion version)
    {
        var topic = $"test/{Guid.NewGuid():N}/telemetry";
        var options = Persistent(version, MqttTest.Unique("fleet"));
        options.AutoReconnect = false;
        await using var subscriber = await MqttTest.ConnectAsync(options);
        await subscriber.SubscribeAsync(topic);
        await using var publisher = await MqttTest.ConnectAsync(MqttTest.Options(fixture.Broker, version, MqttTest.Unique("pub")));

        await publisher.PublishAsync(topic, "first");
        await publisher.PublishAsync(topic, "second");
        await publisher.PublishAsync(topic, "third");
        var first = await subscriber.ReceiveAsync();
        var second = await subscriber.ReceiveAsync();
        var third = await subscriber.ReceiveAsync();
        // The second is stored first; its PUBACK must wait for the first's (MQTT 4.6), which never comes.
        await second.AcknowledgeAsync();
        Assert.True(second.IsAcknowledged);

        await subscriber.DropConnectionAsync();
        await subscriber.ConnectAsync();
        var redelivered = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var message = await subscriber.ReceiveAsync();
            redelivered.Add(message.Text());
            await message.AcknowledgeAsync();
        }
        Assert.Equal(["first", "second", "third"], redelivered);
        Assert.False(first.IsAcknowledged || third.IsAcknowledged);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Subscriptions_are_renewed_when_the_broker_has_no_session(MqttProtocolVersion version)
    {
        var topic = $"test/{Guid.NewGuid():N}/cmd";
        var options = MqttTest.Options(fixture.Broker, version, MqttTest.Unique("gw"));
        options.AutoAcknowledge = true;
        await using var client = await MqttTest.ConnectAsync(options);
        await client.SubscribeAsync(topic);
        var reconnected = new TaskCompletionSource<MqttConnectedEventArgs>();
        client.Connected += (_, e) => reconnected.TrySetResult(e);

        await client.DropConnectionAsync();
        var connected = await reconnected.Task.WaitAsync(MqttTest.Timeout);
        Assert.False(connected.Result.SessionPresent);

        await using var publisher = await MqttTest.ConnectAsync(MqttTest.Options(fixture.Broker, version, MqttTest.Unique("pub")));
        // The renewed SUBSCRIBE went out before anything else on the new connection; a round trip of our own proves it landed.
        await client.PublishAsync(topic, "own");
        await publisher.PublishAsync(topic, "ping");
        Assert.Equal("own", (await client.ReceiveAsync()).Text());
        Assert.Equal("ping", (await client.ReceiveAsync()).Text());
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Unacknowledged_publishes_are_resent_with_dup_after_reconnect(MqttProtocolVersion version)
    {
        var topic = $"test/{Guid.NewGuid():N}/telemetry";
        await using var relay = new TcpRelay(fixture.Port);
        var options = MqttTest.Options(relay.Port, version, MqttTest.Unique("gw"));
        options.CleanStart = false;
        options.SessionExpiryInterval = TimeSpan.FromMinutes(5);
        await using var gateway = await MqttTest.ConnectAsync(options);
        var subscriberOptions = MqttTest.Options(fixture.Broker, version, MqttTest.Unique("fleet"));
        subscriberOptions.AutoAcknowledge = true;
        await using var subscriber = await MqttTest.ConnectAsync(subscriberOptions);
        await subscriber.SubscribeAsync(topic);

        // The PUBLISHes (or their PUBACKs) vanish; then the connection breaks and the client reconnects.
        relay.Frozen = true;
        var publishes = Enumerable.Range(0, 10).Select(i => gateway.PublishAsync(topic, $"r{i}")).ToList();
        await MqttTest.WaitUntilAsync(() => gateway.InflightCount == 10, "ten publishes are in flight");
        relay.Cut();
        relay.Frozen = false;

        await Task.WhenAll(publishes).WaitAsync(MqttTest.Timeout);
        var received = new HashSet<string>();
        while (received.Count < 10) received.Add((await subscriber.ReceiveAsync()).Text());
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"r{i}").ToHashSet(), received);
    }

    [Fact]
    public async Task Publish_waiting_for_the_window_can_be_cancelled_and_the_rest_go_out_in_order()
    {
        var topic = $"test/{Guid.NewGuid():N}/window";
        await using var relay = new TcpRelay(fixture.Port);
        var options = MqttTest.Options(relay.Port, MqttProtocolVersion.V500, MqttTest.Unique("gw"));
        options.MaximumInflight = 1;
        await using var gateway = await MqttTest.ConnectAsync(options);
        var subscriberOptions = MqttTest.Options(fixture.Broker, MqttProtocolVersion.V500, MqttTest.Unique("fleet"));
        subscriberOptions.AutoAcknowledge = true;
        await using var subscriber = await MqttTest.ConnectAsync(subscriberOptions);
        await subscriber.SubscribeAsync(topic);

        relay.Frozen = true; // the first PUBLISH gets no PUBACK, so the window stays full
        var first = gateway.PublishAsync(topic, "1");
        using var cancel = new CancellationTokenSource();
        var cancelled = gateway.PublishAsync(topic, "2", cancellationToken: cancel.Token);
        var third = gateway.PublishAsync(topic, "3");
        Assert.Equal((1, 2), (gateway.InflightCount, gateway.WaitingCount));
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        relay.Cut();
        relay.Frozen = false;
        await Task.WhenAll(first, third).WaitAsync(MqttTest.Timeout);
        var received = new List<string>();
        while (!received.Contains("3")) received.Add((await subscriber.ReceiveAsync()).Text());
        Assert.DoesNotContain("2", received);
        Assert.Equal("1", received[0]);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Dead_connection_is_detected_by_keep_alive(MqttProtocolVersion version)
    {
        await using var relay = new TcpRelay(fixture.Port);
        var options = MqttTest.Options(relay.Port, version, MqttTest.Unique("gw"));
        options.KeepAlive = TimeSpan.FromSeconds(1);
        options.AutoReconnect = false;
        await using var client = await MqttTest.ConnectAsync(options);
        var disconnected = new TaskCompletionSource<MqttDisconnectedEventArgs>();
        client.Disconnected += (_, e) => disconnected.TrySetResult(e);

        // A half-open connection: no error, no bytes, no FIN. Only the missing PINGRESP tells.
        relay.Frozen = true;
        var e = await disconnected.Task.WaitAsync(MqttTest.Timeout);
        Assert.Equal(MqttReasonCode.KeepAliveTimeout, Assert.IsType<MqttException>(e.Exception).ReasonCode);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Disconnect_with_a_reason_ends_the_session_cleanly(MqttProtocolVersion version)
    {
        var id = MqttTest.Unique("gw");
        var statusTopic = $"iot/v1/{id}/status";
        var options = MqttTest.Options(fixture.Broker, version, id);
        options.Will = new MqttWillMessage { Topic = statusTopic, Payload = MqttTest.Bytes("offline") };
        await using var client = await MqttTest.ConnectAsync(options);
        await using var watcher = await MqttTest.ConnectAsync(MqttTest.Options(fixture.Broker, version, MqttTest.Unique("watch")));
        await watcher.SubscribeAsync(statusTopic);
        var disconnected = new TaskCompletionSource<MqttDisconnectedEventArgs>();
        client.Disconnected += (_, e) => disconnected.TrySetResult(e);

        await client.DisconnectAsync(MqttReasonCode.Success);
        var e = await disconnected.Task.WaitAsync(MqttTest.Timeout);
        Assert.True(e.ByClient);
        Assert.False(client.IsConnected);
        await Assert.ThrowsAsync<MqttException>(() => client.PublishAsync(statusTopic, "x"));

        // No will after a normal DISCONNECT: the first thing the watcher sees is a live marker.
        await using var marker = await MqttTest.ConnectAsync(MqttTest.Options(fixture.Broker, version, MqttTest.Unique("mark")));
        await marker.PublishAsync(statusTopic, "marker");
        Assert.Equal("marker", (await watcher.ReceiveAsync()).Text());
    }
}
