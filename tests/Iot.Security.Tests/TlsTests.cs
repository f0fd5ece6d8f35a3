using System.Security.Authentication;
using Iot.Fleet.Broker;
using Iot.Mqtt;
using Iot.Stack;
using Xunit;

namespace Iot.Security.Tests;

/// <summary>The TLS listeners: server certificate from the project CA, and client certificates for devices.</summary>
[Collection(SecuredBrokerCollection.Name)]
public sealed class TlsTests(SecuredBroker broker)
{
    private MqttClientOptions OverTls(BrokerCredentials? credentials, MqttProtocolVersion version, ProjectCa trusted, string? clientId = null)
    {
        var options = broker.Options(credentials, version, clientId);
        options.Port = broker.Broker.TlsPort!.Value;
        options.Tls = new MqttTlsOptions { CaCertificate = trusted.LoadCaCertificate() };
        return options;
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task A_device_connects_over_tls_trusting_the_project_ca_only(MqttProtocolVersion version)
    {
        var device = broker.Accounts.CreateDevice(SecuredBroker.NewDeviceId());
        await using var fleet = await broker.ConnectFleetAsync(version);
        // The certificate names 127.0.0.1 (the default target host here) and localhost.
        await using (var client = await SecuredBroker.ConnectAsync(OverTls(device, version, broker.Ca, device.UserName)))
            Assert.Null(await client.TryPublishAsync($"iot/v1/{device.UserName}/telemetry"));
        var byName = OverTls(device, version, broker.Ca, device.UserName);
        byName.Tls!.TargetHost = "localhost";
        await using (var client = await SecuredBroker.ConnectAsync(byName))
            Assert.Null(await client.TryPublishAsync($"iot/v1/{device.UserName}/event"));
        Assert.Equal([$"iot/v1/{device.UserName}/telemetry", $"iot/v1/{device.UserName}/event"], await fleet.TopicsUntilAsync($"iot/v1/{device.UserName}/event"));

        var otherDirectory = Directory.CreateTempSubdirectory("iot-other-ca-").FullName;
        try
        {
            var otherCa = ProjectCa.LoadOrCreate(otherDirectory);
            await using var untrusting = new MqttClient(OverTls(device, version, otherCa));
            await Assert.ThrowsAsync<AuthenticationException>(() => untrusting.ConnectAsync());
        }
        finally
        {
            Directory.Delete(otherDirectory, recursive: true);
        }
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task A_device_cannot_take_over_another_devices_session_over_tls(MqttProtocolVersion version)
    {
        var a = broker.Accounts.CreateDevice(SecuredBroker.NewDeviceId());
        var b = broker.Accounts.CreateDevice(SecuredBroker.NewDeviceId());
        await using var deviceB = await SecuredBroker.ConnectAsync(OverTls(b, version, broker.Ca, b.UserName));
        var dropped = false;
        deviceB.Disconnected += (_, _) => dropped = true;
        // A claims B's client id; the TLS listeners use the user name as client id instead.
        await using var deviceA = await SecuredBroker.ConnectAsync(OverTls(a, version, broker.Ca, b.UserName));
        Assert.Null(await deviceA.TryPublishAsync($"iot/v1/{a.UserName}/event"));
        Assert.Null(await deviceB.TryPublishAsync($"iot/v1/{b.UserName}/event"));
        Assert.False(dropped);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task A_device_logs_in_with_its_client_certificate_and_only_under_its_own_topics(MqttProtocolVersion version)
    {
        var id = SecuredBroker.NewDeviceId();
        var other = SecuredBroker.NewDeviceId();
        broker.Accounts.AddCertificateDevice(id);
        Assert.Contains(broker.Accounts.List(), a => a.UserName == id && a.ClientCertificate);
        await using var fleet = await broker.ConnectFleetAsync(version);
        using var certificate = broker.Ca.IssueClientCertificate(id).ToCertificate();
        var options = OverTls(null, version, broker.Ca, id);
        options.Port = broker.Broker.ClientCertificatePort!.Value;
        options.Tls!.ClientCertificate = certificate;
        await using var device = await SecuredBroker.ConnectAsync(options);
        // The certificate logs in at once; its ACL arrives with the broker's reload.
        for (var tries = 0; !await DeliveredAsync(device, fleet, id, $"iot/v1/{id}/hello{tries}"); tries++)
        {
            Assert.True(tries < 200, "the certificate device never got its topics");
            await Task.Delay(20);
        }

        Assert.Null(await device.TryPublishAsync($"iot/v1/{id}/telemetry"));
        var forged = await device.TryPublishAsync($"iot/v1/{other}/telemetry");
        Assert.Equal(version == MqttProtocolVersion.V500 ? MqttReasonCode.NotAuthorized : null, forged);
        Assert.Null(await device.TryPublishAsync($"iot/v1/{id}/event"));
        Assert.Equal([$"iot/v1/{id}/telemetry", $"iot/v1/{id}/event"], await fleet.TopicsUntilAsync($"iot/v1/{id}/event"));

        // Revoked: the certificate still opens the connection (Mosquitto has no list of revoked certificates
        // here), but the ACL no longer names the device, so nothing it publishes is delivered any more.
        broker.Accounts.RevokeDevice(id);
        var attempt = 0;
        while (await DeliveredAsync(device, fleet, id, $"iot/v1/{id}/ping{attempt}"))
        {
            Assert.True(++attempt < 200, "the revoked certificate device still publishes");
            await Task.Delay(20);
        }
        if (version == MqttProtocolVersion.V500)
            Assert.Equal(MqttReasonCode.NotAuthorized, await device.TryPublishAsync($"iot/v1/{id}/telemetry"));
    }

    /// <summary>Whether a publish from the device reaches the fleet, known from a command the fleet sends after it.</summary>
    private static async Task<bool> DeliveredAsync(MqttClient device, MqttClient fleet, string id, string topic)
    {
        await device.TryPublishAsync(topic);
        var marker = $"iot/v1/{id}/cmd";
        Assert.Null(await fleet.TryPublishAsync(marker));
        return (await fleet.TopicsUntilAsync(marker)).Contains(topic);
    }

    [Fact]
    public async Task The_client_certificate_listener_refuses_clients_without_a_certificate_from_the_ca()
    {
        var device = broker.Accounts.CreateDevice(SecuredBroker.NewDeviceId());
        var options = OverTls(device, MqttProtocolVersion.V500, broker.Ca, device.UserName);
        options.Port = broker.Broker.ClientCertificatePort!.Value;
        await using (var withoutCertificate = new MqttClient(options))
            await Assert.ThrowsAnyAsync<Exception>(() => withoutCertificate.ConnectAsync());

        var otherDirectory = Directory.CreateTempSubdirectory("iot-other-ca-").FullName;
        try
        {
            using var foreign = ProjectCa.LoadOrCreate(otherDirectory).IssueClientCertificate(device.UserName).ToCertificate();
            options.Tls!.ClientCertificate = foreign;
            await using var withForeignCertificate = new MqttClient(options);
            await Assert.ThrowsAnyAsync<Exception>(() => withForeignCertificate.ConnectAsync());
        }
        finally
        {
            Directory.Delete(otherDirectory, recursive: true);
        }
    }

}
