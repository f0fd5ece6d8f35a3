using Iot.Testing;
using MQTTnet;
using MQTTnet.Formatter;
using Xunit;

namespace Iot.Security.Tests;

/// <summary>Account changes take effect by reloading the broker: revoked clients are cut off, everyone else stays.</summary>
[Collection(SecuredBrokerCollection.Name)]
public sealed class ReloadTests(SecuredBroker broker)
{
    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task A_revoked_device_is_disconnected_and_cannot_log_in_again(MqttProtocolVersion version)
    {
        var device = broker.Accounts.CreateDevice(SecuredBroker.NewDeviceId());
        await using var client = await SecuredBroker.ConnectAsync(broker.Options(device, version, device.UserName));

        Assert.True(broker.Accounts.RevokeDevice(device.UserName));
        // Lost completes only when the broker ends the connection, never when the test does.
        await client.Lost.WaitAsync(SecuredBroker.Timeout);
        Assert.False(broker.Accounts.RevokeDevice(device.UserName));
        Assert.DoesNotContain(broker.Accounts.List(), a => a.UserName == device.UserName);

        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, await SecuredBroker.LoginAsync(broker.Options(device, version, device.UserName)));
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Claiming_replaces_the_bootstrap_login_with_the_device_login(MqttProtocolVersion version)
    {
        var id = SecuredBroker.NewDeviceId();
        var bootstrap = broker.Accounts.AddBootstrap(id);
        await using var unclaimed = await SecuredBroker.ConnectAsync(broker.Options(bootstrap, version, id));

        var device = broker.Accounts.CreateDevice(id);
        Assert.True(broker.Accounts.RevokeBootstrap(id));
        await unclaimed.Lost.WaitAsync(SecuredBroker.Timeout);

        await using var claimed = await SecuredBroker.ConnectAsync(broker.Options(device, version, id));
        Assert.Null(await claimed.TryPublishAsync($"iot/v1/{id}/telemetry"));
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, await SecuredBroker.LoginAsync(broker.Options(bootstrap, version, id)));
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task A_new_password_disconnects_the_session_that_used_the_old_one(MqttProtocolVersion version)
    {
        var id = SecuredBroker.NewDeviceId();
        var first = broker.Accounts.CreateDevice(id);
        await using var client = await SecuredBroker.ConnectAsync(broker.Options(first, version, id));

        var second = broker.Accounts.CreateDevice(id);
        Assert.NotEqual(first.Password, second.Password);
        await client.Lost.WaitAsync(SecuredBroker.Timeout);
        await (await SecuredBroker.ConnectAsync(broker.Options(second, version, id))).DisposeAsync();
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Reloads_keep_other_devices_connected_and_publishing(MqttProtocolVersion version)
    {
        var steady = broker.Accounts.CreateDevice(SecuredBroker.NewDeviceId());
        await using var fleet = await broker.ConnectFleetAsync(version);
        await using var device = await SecuredBroker.ConnectAsync(broker.Options(steady, version, steady.UserName));

        using var stop = new CancellationTokenSource();
        var sent = 0;
        var publishing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await device.PublishAsync($"iot/v1/{steady.UserName}/telemetry", sent.ToString());
                sent++;
            }
        });

        // Five reloads, each one seen to have taken effect (the new account logs in, the revoked one is gone).
        for (var i = 0; i < 5; i++)
        {
            var other = broker.Accounts.CreateDevice(SecuredBroker.NewDeviceId());
            await (await SecuredBroker.ConnectAsync(broker.Options(other, version))).DisposeAsync();
            broker.Accounts.RevokeDevice(other.UserName);
        }
        await stop.CancelAsync();
        await publishing.WaitAsync(SecuredBroker.Timeout);

        Assert.False(device.Lost.IsCompleted, "the steady device was dropped by a reload");
        Assert.True(device.IsConnected);
        Assert.True(sent > 0);
        // Every acknowledged publish reached the fleet, in order, with no gap across the reloads.
        for (var i = 0; i < sent; i++)
        {
            var message = await fleet.ReceiveAsync();
            Assert.Equal(i.ToString(), message.ConvertPayloadToString());
        }
    }

    [Fact]
    public async Task A_burst_of_registrations_is_answered_only_with_working_accounts()
    {
        var writesBefore = broker.Accounts.Writes;
        var devices = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => broker.Accounts.CreateDeviceAsync(SecuredBroker.NewDeviceId()))));
        // New accounts are appended, so writes are short and arrivals share them only when they overlap
        // (CredentialFileTests shows the sharing); never more writes than registrations.
        var writes = broker.Accounts.Writes - writesBefore;
        Assert.True(writes is >= 1 and <= 200, $"{writes} writes for 200 registrations");

        // Every answer's account is in the files: each device logs in and may use its own topics and no other device's.
        var clients = new List<TestMqttClient>();
        try
        {
            foreach (var device in devices) clients.Add(await SecuredBroker.ConnectAsync(broker.Options(device, MqttProtocolVersion.V500, device.UserName)));
            Assert.Null(await clients[0].TryPublishAsync($"iot/v1/{devices[0].UserName}/telemetry"));
            Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, await clients[0].TryPublishAsync($"iot/v1/{devices[1].UserName}/telemetry"));
        }
        finally
        {
            foreach (var client in clients) await client.DisposeAsync();
        }
    }
}
