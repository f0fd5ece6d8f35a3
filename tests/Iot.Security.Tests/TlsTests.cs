using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Iot.Fleet.Broker;
using Iot.Testing;
using MQTTnet;
using MQTTnet.Formatter;
using Iot.Stack;
using Xunit;

namespace Iot.Security.Tests;

/// <summary>The TLS listeners: server certificate from the project CA, and client certificates for devices.</summary>
[Collection(SecuredBrokerCollection.Name)]
public sealed class TlsTests(SecuredBroker broker)
{
    /// <summary>Options for a TLS listener (the server-certificate one unless <paramref name="port"/> says otherwise) that
    /// trust only <paramref name="trusted"/>, optionally checking the name <paramref name="targetHost"/> and presenting a
    /// client certificate.</summary>
    private MqttClientOptionsBuilder OverTls(BrokerCredentials? credentials, MqttProtocolVersion version, ProjectCa trusted, string? clientId = null,
        int? port = null, string? targetHost = null, X509Certificate2? clientCertificate = null)
    {
        var options = broker.Options(credentials, version, clientId).WithTcpServer("127.0.0.1", port ?? broker.Broker.TlsPort!.Value);
        return options.WithTlsOptions(tls =>
        {
            tls.UseTls().WithTrustChain([trusted.LoadCaCertificate()]);
            if (targetHost is not null) tls.WithTargetHost(targetHost);
            if (clientCertificate is not null) tls.WithClientCertificates([clientCertificate]);
        });
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
        await using (var client = await SecuredBroker.ConnectAsync(OverTls(device, version, broker.Ca, device.UserName, targetHost: "localhost")))
            Assert.Null(await client.TryPublishAsync($"iot/v1/{device.UserName}/event"));
        Assert.Equal([$"iot/v1/{device.UserName}/telemetry", $"iot/v1/{device.UserName}/event"], await fleet.TopicsUntilAsync($"iot/v1/{device.UserName}/event"));

        var otherDirectory = Directory.CreateTempSubdirectory("iot-other-ca-").FullName;
        try
        {
            var otherCa = ProjectCa.LoadOrCreate(otherDirectory);
            await using var untrusting = new TestMqttClient();
            var refused = await Assert.ThrowsAnyAsync<Exception>(() => untrusting.TryConnectAsync(OverTls(device, version, otherCa).Build()));
            Assert.True(Refusal<AuthenticationException>(refused), refused.ToString());
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
        // A claims B's client id; the TLS listeners use the user name as client id instead.
        await using var deviceA = await SecuredBroker.ConnectAsync(OverTls(a, version, broker.Ca, b.UserName));
        Assert.Null(await deviceA.TryPublishAsync($"iot/v1/{a.UserName}/event"));
        Assert.Null(await deviceB.TryPublishAsync($"iot/v1/{b.UserName}/event"));
        Assert.False(deviceB.Lost.IsCompleted, "B's session was taken over");
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
        await using var device = await SecuredBroker.ConnectAsync(OverTls(null, version, broker.Ca, id, broker.Broker.ClientCertificatePort, clientCertificate: certificate));
        // The certificate logs in at once; its ACL arrives with the broker's reload.
        for (var tries = 0; !await DeliveredAsync(device, fleet, id, $"iot/v1/{id}/hello{tries}"); tries++)
        {
            Assert.True(tries < 200, "the certificate device never got its topics");
            await Task.Delay(20);
        }

        Assert.Null(await device.TryPublishAsync($"iot/v1/{id}/telemetry"));
        var forged = await device.TryPublishAsync($"iot/v1/{other}/telemetry");
        Assert.Equal(version == MqttProtocolVersion.V500 ? MqttClientPublishReasonCode.NotAuthorized : null, forged);
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
            Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, await device.TryPublishAsync($"iot/v1/{id}/telemetry"));
    }

    /// <summary>Whether a publish from the device reaches the fleet, known from a command the fleet sends after it.</summary>
    private static async Task<bool> DeliveredAsync(TestMqttClient device, TestMqttClient fleet, string id, string topic)
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
        var port = broker.Broker.ClientCertificatePort;
        await using (var withoutCertificate = new TestMqttClient())
            await Assert.ThrowsAnyAsync<Exception>(() => withoutCertificate.TryConnectAsync(OverTls(device, MqttProtocolVersion.V500, broker.Ca, device.UserName, port).Build()));

        var otherDirectory = Directory.CreateTempSubdirectory("iot-other-ca-").FullName;
        try
        {
            using var foreign = ProjectCa.LoadOrCreate(otherDirectory).IssueClientCertificate(device.UserName).ToCertificate();
            await using var withForeignCertificate = new TestMqttClient();
            await Assert.ThrowsAnyAsync<Exception>(() => withForeignCertificate.TryConnectAsync(
                OverTls(device, MqttProtocolVersion.V500, broker.Ca, device.UserName, port, clientCertificate: foreign).Build()));
        }
        finally
        {
            Directory.Delete(otherDirectory, recursive: true);
        }
    }

    /// <summary>Whether <typeparamref name="T"/> is the failure or one of its causes (MQTTnet wraps the TLS failure).</summary>
    private static bool Refusal<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
            if (e is T) return true;
        return false;
    }
}
