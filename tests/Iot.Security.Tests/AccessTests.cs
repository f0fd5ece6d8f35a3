using Iot.Fleet.Broker;
using Iot.Testing;
using MQTTnet;
using MQTTnet.Formatter;
using Xunit;

namespace Iot.Security.Tests;

/// <summary>Who may publish and receive where, enforced by the real broker from the files BrokerAccounts writes.</summary>
[Collection(SecuredBrokerCollection.Name)]
public sealed class AccessTests(SecuredBroker broker)
{
    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task A_device_cannot_publish_under_another_device(MqttProtocolVersion version)
    {
        var a = broker.Accounts.CreateDevice(SecuredBroker.NewDeviceId());
        var b = broker.Accounts.CreateDevice(SecuredBroker.NewDeviceId());
        await using var fleet = await broker.ConnectFleetAsync(version);
        await using var deviceB = await SecuredBroker.ConnectAsync(broker.Options(b, version, b.UserName));
        await deviceB.SubscribeAsync($"iot/v1/{b.UserName}/#");
        await using var deviceA = await SecuredBroker.ConnectAsync(broker.Options(a, version, a.UserName));

        var refused = await deviceA.TryPublishAsync($"iot/v1/{b.UserName}/telemetry", "forged");
        // 5.0: PUBACK 0x87. 3.1.1 cannot refuse a publish: the broker acknowledges and drops it.
        Assert.Equal(version == MqttProtocolVersion.V500 ? MqttClientPublishReasonCode.NotAuthorized : null, refused);
        Assert.Null(await deviceA.TryPublishAsync($"iot/v1/{a.UserName}/event"));
        Assert.Null(await fleet.TryPublishAsync($"iot/v1/{b.UserName}/cmd"));

        Assert.Equal([$"iot/v1/{b.UserName}/cmd"], await deviceB.TopicsUntilAsync($"iot/v1/{b.UserName}/cmd"));
        Assert.Equal([$"iot/v1/{a.UserName}/event", $"iot/v1/{b.UserName}/cmd"], await fleet.TopicsUntilAsync($"iot/v1/{b.UserName}/cmd"));
        Assert.True(deviceA.IsConnected);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task A_device_cannot_receive_another_devices_topics(MqttProtocolVersion version)
    {
        var a = broker.Accounts.CreateDevice(SecuredBroker.NewDeviceId());
        var b = broker.Accounts.CreateDevice(SecuredBroker.NewDeviceId());
        await using var fleet = await broker.ConnectFleetAsync(version);
        await fleet.PublishAsync($"iot/v1/{b.UserName}/config", "retained for B", retain: true);
        try
        {
            await using var deviceB = await SecuredBroker.ConnectAsync(broker.Options(b, version, b.UserName));
            await using var deviceA = await SecuredBroker.ConnectAsync(broker.Options(a, version, a.UserName));
            var codes = await deviceA.SubscribeAsync($"iot/v1/{b.UserName}/#", "iot/v1/#", "#");
            // Mosquitto 2.0's ACL file does not judge SUBSCRIBE (it grants it) and checks read access on every
            // delivery instead; a refusal (≥ 0x80) would be as good.
            Assert.All(codes, c => Assert.True(c == MqttClientSubscribeResultCode.GrantedQoS1 || (int)c >= 0x80, c.ToString()));

            Assert.Null(await deviceB.TryPublishAsync($"iot/v1/{b.UserName}/telemetry"));
            Assert.Null(await fleet.TryPublishAsync($"iot/v1/{a.UserName}/cmd"));
            // Neither B's retained config nor B's telemetry reached A; only A's own command did.
            Assert.Equal([$"iot/v1/{a.UserName}/cmd"], await deviceA.TopicsUntilAsync($"iot/v1/{a.UserName}/cmd"));
        }
        finally
        {
            await fleet.PublishAsync($"iot/v1/{b.UserName}/config", "", retain: true);
        }
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Bootstrap_credentials_may_use_prov_only(MqttProtocolVersion version)
    {
        var id = SecuredBroker.NewDeviceId();
        var bootstrap = broker.Accounts.AddBootstrap(id, "printed-on-the-label-" + id);
        Assert.Equal("boot-" + id, bootstrap.UserName);
        await using var fleet = await broker.ConnectFleetAsync(version);
        await using var device = await SecuredBroker.ConnectAsync(broker.Options(bootstrap, version, id));
        await device.SubscribeAsync($"iot/v1/{id}/#");

        var telemetry = await device.TryPublishAsync($"iot/v1/{id}/telemetry");
        Assert.Equal(version == MqttProtocolVersion.V500 ? MqttClientPublishReasonCode.NotAuthorized : null, telemetry);
        // Nor under its own user name, which the devices' %u pattern would otherwise give it.
        Assert.Equal(version == MqttProtocolVersion.V500 ? MqttClientPublishReasonCode.NotAuthorized : null, await device.TryPublishAsync($"iot/v1/{bootstrap.UserName}/telemetry"));
        Assert.Null(await device.TryPublishAsync($"iot/v1/{id}/prov/hello"));
        Assert.Equal([$"iot/v1/{id}/prov/hello"], await fleet.TopicsUntilAsync($"iot/v1/{id}/prov/hello"));

        // Commands do not reach an unclaimed device (nor does its own refused telemetry); provisioning answers do.
        Assert.Null(await fleet.TryPublishAsync($"iot/v1/{id}/cmd"));
        Assert.Null(await fleet.TryPublishAsync($"iot/v1/{id}/prov/offer"));
        Assert.Equal([$"iot/v1/{id}/prov/hello", $"iot/v1/{id}/prov/offer"], await device.TopicsUntilAsync($"iot/v1/{id}/prov/offer"));
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Wrong_unknown_and_missing_credentials_are_refused(MqttProtocolVersion version)
    {
        var device = broker.Accounts.CreateDevice(SecuredBroker.NewDeviceId());
        await (await SecuredBroker.ConnectAsync(broker.Options(device, version))).DisposeAsync();

        foreach (var credentials in new BrokerCredentials?[] { device with { Password = device.Password + "x" }, new("NOBODY-" + device.UserName[..8], device.Password), null })
        {
            // Mosquitto answers "not authorized" (3.1.1 return code 5, 5.0 reason 0x87) rather than "bad user name or password".
            Assert.Equal(MqttClientConnectResultCode.NotAuthorized, await SecuredBroker.LoginAsync(broker.Options(credentials, version, "refused")));
        }
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task The_fleet_reads_every_device_and_writes_only_fleet_topics(MqttProtocolVersion version)
    {
        var a = broker.Accounts.CreateDevice(SecuredBroker.NewDeviceId());
        var b = broker.Accounts.CreateDevice(SecuredBroker.NewDeviceId());
        await using var fleet = await broker.ConnectFleetAsync(version);
        await using var deviceA = await SecuredBroker.ConnectAsync(broker.Options(a, version, a.UserName));
        await using var deviceB = await SecuredBroker.ConnectAsync(broker.Options(b, version, b.UserName));
        await deviceA.PublishAsync($"iot/v1/{a.UserName}/telemetry", "a");
        await deviceB.PublishAsync($"iot/v1/{b.UserName}/status", "b");
        await deviceB.PublishAsync($"iot/v1/{b.UserName}/ack", "b");
        Assert.Equal([$"iot/v1/{a.UserName}/telemetry", $"iot/v1/{b.UserName}/status", $"iot/v1/{b.UserName}/ack"],
            await fleet.TopicsUntilAsync($"iot/v1/{b.UserName}/ack"));

        // The fleet may not put words in a device's mouth.
        var forged = await fleet.TryPublishAsync($"iot/v1/{a.UserName}/telemetry");
        Assert.Equal(version == MqttProtocolVersion.V500 ? MqttClientPublishReasonCode.NotAuthorized : null, forged);
        // Nor in the name of a device called like itself (the devices' %u pattern).
        Assert.Equal(version == MqttProtocolVersion.V500 ? MqttClientPublishReasonCode.NotAuthorized : null, await fleet.TryPublishAsync($"iot/v1/{broker.Fleet.UserName}/telemetry"));
        foreach (var kind in new[] { "config", "cmd", "prov/offer" }) Assert.Null(await fleet.TryPublishAsync($"iot/v1/{a.UserName}/{kind}"));
        Assert.Equal([$"iot/v1/{a.UserName}/config", $"iot/v1/{a.UserName}/cmd", $"iot/v1/{a.UserName}/prov/offer"],
            await fleet.TopicsUntilAsync($"iot/v1/{a.UserName}/prov/offer"));
    }
}
