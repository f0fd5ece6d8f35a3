using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Iot.Mqtt.Tests.Support;
using Iot.Stack;
using Xunit;

namespace Iot.Mqtt.Tests.Interop;

/// <summary>Maximum packet size and TLS, each against a Mosquitto started with the matching configuration.</summary>
public sealed class LimitsAndTlsTests
{
    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Oversize_publish_fails_clearly(MqttProtocolVersion version)
    {
        using var broker = MosquittoBroker.Start(new MosquittoOptions { MaxPacketSize = 1024 });
        var options = MqttTest.Options(broker, version, MqttTest.Unique("gw"));
        options.AutoReconnect = false;
        await using var client = await MqttTest.ConnectAsync(options);
        var big = new byte[2000];

        if (version == MqttProtocolVersion.V500)
        {
            // The broker announced its limit in CONNACK: refuse locally and stay connected.
            Assert.Equal(1024, client.ConnectResult!.MaximumPacketSize);
            var e = await Assert.ThrowsAsync<MqttPacketTooLargeException>(() => client.PublishAsync("t/big", big));
            Assert.Equal(1024, e.MaximumPacketSize);
            Assert.True(client.IsConnected);
            await client.PublishAsync("t/small", new byte[100]);
        }
        else
        {
            // 3.1.1 has no way to announce the limit: Mosquitto hangs up, and the publish fails with the connection.
            var e = await Assert.ThrowsAsync<MqttException>(() => client.PublishAsync("t/big", big).WaitAsync(MqttTest.Timeout));
            Assert.IsNotType<MqttPacketTooLargeException>(e);
            Assert.False(client.IsConnected);
        }
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task The_project_broker_refuses_a_40_KiB_publish(MqttProtocolVersion version)
    {
        // The project's broker configuration (BrokerLimits.MaxPacketSize, 32 KiB); our client's own limit is raised
        // so that the broker, not the client, has to refuse.
        using var broker = MosquittoBroker.Start();
        var options = MqttTest.Options(broker, version, MqttTest.Unique("gw"));
        options.MaximumPacketSize = 0;
        options.AutoReconnect = false;
        await using var client = await MqttTest.ConnectAsync(options);
        var big = new byte[40 * 1024];

        if (version == MqttProtocolVersion.V500)
        {
            Assert.Equal(BrokerLimits.MaxPacketSize, client.ConnectResult!.MaximumPacketSize);
            await Assert.ThrowsAsync<MqttPacketTooLargeException>(() => client.PublishAsync("t/big", big));
        }
        // Sent anyway, as a client ignoring the announcement would: Mosquitto hangs up without delivering it.
        var listening = MqttTest.Options(broker, version, MqttTest.Unique("sub"));
        listening.MaximumPacketSize = 0;
        await using var listener = await MqttTest.ConnectAsync(listening);
        await listener.SubscribeAsync("t/#");
        using (var raw = new System.Net.Sockets.TcpClient())
        {
            raw.Connect(System.Net.IPAddress.Loopback, broker.Port);
            var stream = raw.GetStream();
            stream.Write([0x10, 13, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 2, 0, 10, 0, 1, (byte)'r']);
            stream.ReadExactly(new byte[4]);
            var remaining = 2 + 5 + big.Length;
            var header = new byte[] { 0x30, (byte)(remaining & 0x7F | 0x80), (byte)(remaining >> 7 & 0x7F | 0x80), (byte)(remaining >> 14) };
            try
            {
                stream.Write([.. header, 0, 5, .. "t/big"u8, .. big]);
                Assert.Equal(0, stream.Read(new byte[16]));
            }
            catch (IOException)
            {
                // Reset by the broker while we were still writing: refused as well.
            }
        }
        await listener.PublishAsync("t/small", "ok");
        Assert.Equal("t/small", (await listener.ReceiveAsync()).Topic);
        if (version == MqttProtocolVersion.V311)
        {
            // Our 3.1.1 client cannot learn the limit: the broker closes its connection, and the publish fails with it.
            await Assert.ThrowsAsync<MqttException>(() => client.PublishAsync("t/big", big).WaitAsync(MqttTest.Timeout));
            Assert.False(client.IsConnected);
        }
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Configured_maximum_packet_size_is_enforced_both_ways(MqttProtocolVersion version)
    {
        using var broker = MosquittoBroker.Start();
        var options = MqttTest.Options(broker, version, MqttTest.Unique("gw"));
        options.MaximumPacketSize = 1024;
        options.AutoReconnect = false;
        options.AutoAcknowledge = true;
        await using var client = await MqttTest.ConnectAsync(options);
        await client.SubscribeAsync("t/#");
        var disconnected = new TaskCompletionSource<MqttDisconnectedEventArgs>();
        client.Disconnected += (_, e) => disconnected.TrySetResult(e);

        var e = await Assert.ThrowsAsync<MqttPacketTooLargeException>(() => client.PublishAsync("t/big", new byte[2000]));
        Assert.Equal(1024, e.MaximumPacketSize);

        await using var other = await MqttTest.ConnectAsync(MqttTest.Options(broker, version, MqttTest.Unique("other")));
        await other.PublishAsync("t/big", new byte[2000]);
        if (version == MqttProtocolVersion.V500)
        {
            // We told the broker our maximum in CONNECT, so it drops the message for us instead of sending it.
            await other.PublishAsync("t/small", "ok");
            Assert.Equal("t/small", (await client.ReceiveAsync()).Topic);
        }
        else
        {
            var closed = await disconnected.Task.WaitAsync(MqttTest.Timeout);
            Assert.Equal(MqttReasonCode.PacketTooLarge, Assert.IsType<MqttProtocolException>(closed.Exception).ReasonCode);
        }
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Tls_connects_with_the_right_ca_and_fails_with_a_wrong_one(MqttProtocolVersion version)
    {
        using var pki = TestPki.Create();
        var tlsPort = LocalPort.Free();
        var state = Directory.CreateTempSubdirectory("iot-mqtt-tls-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(state, "ca.pem"), pki.Ca.ExportCertificatePem());
            File.WriteAllText(Path.Combine(state, "server.pem"), pki.Server.ExportCertificatePem());
            File.WriteAllText(Path.Combine(state, "server.key"), pki.ServerKey.ExportPkcs8PrivateKeyPem());
            // Mosquitto started as root drops to its own user before it reads these files.
            const UnixFileMode readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(state, readable | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
                foreach (var file in Directory.GetFiles(state)) File.SetUnixFileMode(file, readable);
            }
            var brokerOptions = new MosquittoOptions { StateDirectory = state };
            brokerOptions.ExtraConfig.AddRange(
            [
                $"listener {tlsPort} 127.0.0.1",
                $"cafile {Path.Combine(state, "ca.pem")}",
                $"certfile {Path.Combine(state, "server.pem")}",
                $"keyfile {Path.Combine(state, "server.key")}",
            ]);
            using var broker = MosquittoBroker.Start(brokerOptions);

            var options = MqttTest.Options(tlsPort, version, MqttTest.Unique("tls"));
            options.Tls = new MqttTlsOptions { CaCertificate = pki.Ca, TargetHost = "localhost" };
            options.AutoAcknowledge = true;
            await using (var client = await MqttTest.ConnectAsync(options))
            {
                await client.SubscribeAsync("tls/echo");
                await client.PublishAsync("tls/echo", "over tls");
                Assert.Equal("over tls", (await client.ReceiveAsync()).Text());
            }

            using var otherPki = TestPki.Create();
            var wrong = MqttTest.Options(tlsPort, version, MqttTest.Unique("tls"));
            wrong.Tls = new MqttTlsOptions { CaCertificate = otherPki.Ca, TargetHost = "localhost" };
            await using var rejected = new MqttClient(wrong);
            await Assert.ThrowsAsync<AuthenticationException>(() => rejected.ConnectAsync());

            var wrongName = MqttTest.Options(tlsPort, version, MqttTest.Unique("tls"));
            wrongName.Tls = new MqttTlsOptions { CaCertificate = pki.Ca, TargetHost = "broker.example" };
            await using var misnamed = new MqttClient(wrongName);
            await Assert.ThrowsAsync<AuthenticationException>(() => misnamed.ConnectAsync());
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }

    /// <summary>A throw-away CA and a server certificate for localhost/127.0.0.1 signed by it.</summary>
    private sealed class TestPki : IDisposable
    {
        private TestPki(X509Certificate2 ca, X509Certificate2 server, ECDsa serverKey) => (Ca, Server, ServerKey) = (ca, server, serverKey);

        public X509Certificate2 Ca { get; }
        public X509Certificate2 Server { get; }
        public ECDsa ServerKey { get; }

        public static TestPki Create()
        {
            var now = DateTimeOffset.UtcNow;
            using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var caRequest = new CertificateRequest("CN=Iot Test CA", caKey, HashAlgorithmName.SHA256);
            caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
            var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

            var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var serverRequest = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddIpAddress(System.Net.IPAddress.Loopback);
            serverRequest.CertificateExtensions.Add(names.Build());
            serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
            serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
            var server = serverRequest.Create(ca, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(16));
            return new TestPki(ca, server, serverKey);
        }

        public void Dispose()
        {
            Ca.Dispose();
            Server.Dispose();
            ServerKey.Dispose();
        }
    }
}
