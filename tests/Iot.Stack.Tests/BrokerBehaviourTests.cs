using Iot.Testing;
using MQTTnet;
using MQTTnet.Formatter;
using Xunit;

namespace Iot.Stack.Tests;

/// <summary>What the project's Mosquitto does that the fleet and the gateways rely on: persistent sessions, shared
/// subscriptions, retained status, the will and the packet limit (moved here from our former MQTT client's interop tests).</summary>
public sealed class BrokerBehaviourTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    private MqttClientOptionsBuilder Options(MqttProtocolVersion version, string clientId) => TestMqttClient.Options(fixture.Host, fixture.Port, clientId, version);

    /// <summary>A session the broker keeps while the client is away (3.1.1: clean session off; 5.0: clean start off and an expiry).</summary>
    private MqttClientOptions Persistent(MqttProtocolVersion version, string clientId) => version == MqttProtocolVersion.V500
        ? Options(version, clientId).WithCleanStart(false).WithSessionExpiryInterval(300).Build()
        : Options(version, clientId).WithCleanSession(false).Build();

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task A_persistent_subscriber_gets_what_was_published_while_it_was_away(MqttProtocolVersion version)
    {
        var topic = $"test/{Guid.NewGuid():N}/telemetry";
        var fleet = Persistent(version, Unique("fleet"));
        await using (var first = await TestMqttClient.ConnectAsync(fleet)) await first.SubscribeAsync(topic);
        await using (var publisher = await TestMqttClient.ConnectAsync(Options(version, Unique("pub")).Build()))
            await Task.WhenAll(Enumerable.Range(0, 50).Select(i => publisher.PublishAsync(topic, $"m{i}")));

        await using var again = new TestMqttClient();
        Assert.True((await again.TryConnectAsync(fleet)).IsSessionPresent);
        for (var i = 0; i < 50; i++) Assert.Equal($"m{i}", (await again.ReceiveAsync()).ConvertPayloadToString());
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task A_shared_subscription_splits_the_load_without_duplicates(MqttProtocolVersion version)
    {
        var topic = $"test/{Guid.NewGuid():N}/telemetry";
        var filter = $"$share/fleet/{topic}";
        await using var first = await TestMqttClient.ConnectAsync(Options(version, Unique("share1")).Build());
        await using var second = await TestMqttClient.ConnectAsync(Options(version, Unique("share2")).Build());
        await first.SubscribeAsync(filter);
        await second.SubscribeAsync(filter);
        await using var publisher = await TestMqttClient.ConnectAsync(Options(version, Unique("pub")).Build());

        const int count = 200;
        await Task.WhenAll(Enumerable.Range(0, count).Select(i => publisher.PublishAsync(topic, $"{i}")));
        var received = new List<string>[] { [], [] };
        var deadline = DateTime.UtcNow + TestMqttClient.Timeout;
        while (received.Sum(r => r.Count) < count && DateTime.UtcNow < deadline)
        {
            for (var n = 0; n < 2; n++)
                while ((n == 0 ? first : second).Messages.TryRead(out var message)) received[n].Add(message.ConvertPayloadToString());
            await Task.Delay(20);
        }

        Assert.NotEmpty(received[0]);
        Assert.NotEmpty(received[1]);
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"{i}").Order(), received[0].Concat(received[1]).Order());
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task A_retained_status_reaches_a_late_subscriber_until_cleared(MqttProtocolVersion version)
    {
        var topic = $"test/{Guid.NewGuid():N}/status";
        await using var publisher = await TestMqttClient.ConnectAsync(Options(version, Unique("pub")).Build());
        await publisher.PublishAsync(topic, "{\"online\":true}", retain: true);

        await using (var late = await TestMqttClient.ConnectAsync(Options(version, Unique("late")).Build()))
        {
            await late.SubscribeAsync(topic);
            var retained = await late.ReceiveAsync();
            Assert.Equal(("{\"online\":true}", true), (retained.ConvertPayloadToString(), retained.Retain));
        }

        // An empty retained payload deletes the retained message (MQTT 3.3.1.3).
        await publisher.PublishAsync(topic, ReadOnlyMemory<byte>.Empty, retain: true);
        await using var later = await TestMqttClient.ConnectAsync(Options(version, Unique("later")).Build());
        await later.SubscribeAsync(topic);
        await publisher.PublishAsync(topic, "live");
        var first = await later.ReceiveAsync();
        Assert.Equal(("live", false), (first.ConvertPayloadToString(), first.Retain));
    }

    [Fact]
    public async Task The_will_is_published_when_a_gateway_drops_off()
    {
        // The virtual gateway drops its session this way (MqttClientLink): a DISCONNECT asking for the will, as a dead link would.
        var id = Unique("gw");
        var status = $"iot/v1/{id}/status";
        var offline = $"{{\"v\":1,\"dev\":\"{id}\",\"online\":false}}";
        await using var watcher = await TestMqttClient.ConnectAsync(Options(MqttProtocolVersion.V500, Unique("watch")).Build());
        await watcher.SubscribeAsync(status);
        var gateway = await TestMqttClient.ConnectAsync(Options(MqttProtocolVersion.V500, id)
            .WithWillTopic(status).WithWillPayload(offline).WithWillQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await gateway.Client.DisconnectAsync(new MqttClientDisconnectOptions { Reason = MqttClientDisconnectOptionsReason.DisconnectWithWillMessage });
        await gateway.DisposeAsync();

        var will = await watcher.ReceiveAsync();
        Assert.Equal((status, offline), (will.Topic, will.ConvertPayloadToString()));
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task The_project_broker_refuses_a_40_KiB_publish(MqttProtocolVersion version)
    {
        await using var listener = await TestMqttClient.ConnectAsync(Options(version, Unique("sub")).Build());
        await listener.SubscribeAsync("t/#");
        await using var gateway = new TestMqttClient();
        var connected = await gateway.TryConnectAsync(Options(version, Unique("gw")).Build());
        // 5.0 announces the limit in the CONNACK; 3.1.1 cannot, so there the hang-up is the only answer.
        if (version == MqttProtocolVersion.V500) Assert.Equal((uint)BrokerLimits.MaxPacketSize, connected.MaximumPacketSize);

        // Sent anyway, as a client ignoring the announcement would: Mosquitto hangs up without delivering it.
        await Assert.ThrowsAnyAsync<Exception>(() => gateway.TryPublishAsync("t/big", new byte[40 * 1024]));
        await gateway.Lost.WaitAsync(TestMqttClient.Timeout);
        await listener.PublishAsync("t/small", "ok");
        Assert.Equal("t/small", (await listener.ReceiveAsync()).Topic);
    }
}
