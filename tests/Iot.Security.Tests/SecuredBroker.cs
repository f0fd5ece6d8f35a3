using Iot.Fleet.Broker;
using Iot.Fleet.Storage;
using Iot.Stack;
using Iot.Testing;
using MQTTnet;
using MQTTnet.Formatter;
using Xunit;

namespace Iot.Security.Tests;

/// <summary>One Mosquitto with the project's security: accounts from <see cref="BrokerAccounts"/> (reloaded
/// through the broker's pid file, as a fleet that does not own the broker does it), a TLS listener with
/// the project CA and a client-certificate listener.</summary>
public sealed class SecuredBroker : IDisposable
{
    public static readonly TimeSpan Timeout = TestMqttClient.Timeout;

    private readonly string _state;
    private MosquittoBroker? _broker;

    public SecuredBroker()
    {
        _state = Directory.CreateTempSubdirectory("iot-security-").FullName;
        Ca = ProjectCa.LoadOrCreate(Path.Combine(_state, "tls"));
        var database = new FleetDatabase($"Data Source={Path.Combine(_state, "fleet.db")}");
        database.Migrate();
        var security = new BrokerSecurityOptions
        {
            PasswordFile = Path.Combine(_state, "mosquitto", "passwords"),
            AclFile = Path.Combine(_state, "mosquitto", "acl"),
        };
        // Before the broker runs there is nothing to reload; afterwards, signal it through its pid file.
        Accounts = new BrokerAccounts(database, security, () =>
        {
            if (_broker is { } broker) MosquittoAccountFiles.SignalReload(broker.PidFile);
        });
        Fleet = Accounts.CreateFleetAccount();
        var tls = MosquittoTlsOptions.From(Ca);
        tls.BindAddress = "127.0.0.1";
        tls.ClientCertificates = true;
        _broker = MosquittoBroker.Start(new MosquittoOptions
        {
            StateDirectory = Path.Combine(_state, "mosquitto"),
            PasswordFile = security.PasswordFile,
            AclFile = security.AclFile,
            Tls = tls,
        });
    }

    public MosquittoBroker Broker => _broker!;
    public ProjectCa Ca { get; }
    public BrokerAccounts Accounts { get; }

    /// <summary>The fleet's own account.</summary>
    public BrokerCredentials Fleet { get; }

    public static string NewDeviceId() => "T" + Guid.NewGuid().ToString("N")[..11].ToUpperInvariant();

    /// <summary>Options for the plain loopback listener.</summary>
    public MqttClientOptionsBuilder Options(BrokerCredentials? credentials, MqttProtocolVersion version, string? clientId = null)
    {
        var options = TestMqttClient.Options("127.0.0.1", Broker.Port, clientId ?? credentials?.UserName + "-" + Guid.NewGuid().ToString("N")[..6], version);
        if (credentials is not null) options.WithCredentials(credentials.UserName, credentials.Password);
        return options;
    }

    /// <summary>Connects, retrying while the broker has not yet reloaded a just-created account.</summary>
    public static async Task<TestMqttClient> ConnectAsync(MqttClientOptionsBuilder options)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var client = new TestMqttClient();
            try
            {
                var result = await client.TryConnectAsync(options.Build());
                if (result.ResultCode == MqttClientConnectResultCode.Success) return client;
                if (result.ResultCode is not (MqttClientConnectResultCode.NotAuthorized or MqttClientConnectResultCode.BadUserNameOrPassword) || DateTime.UtcNow >= deadline)
                    throw new IOException($"the broker refused the login: {result.ResultCode}");
            }
            catch
            {
                await client.DisposeAsync();
                throw;
            }
            await client.DisposeAsync();
            await Task.Delay(20);
        }
    }

    /// <summary>Connects the fleet's account, subscribed to every device's topics.</summary>
    public async Task<TestMqttClient> ConnectFleetAsync(MqttProtocolVersion version)
    {
        var fleet = await ConnectAsync(Options(Fleet, version));
        Assert.Equal([MqttClientSubscribeResultCode.GrantedQoS1], await fleet.SubscribeAsync("iot/v1/#"));
        return fleet;
    }

    /// <summary>Tries to log in once and returns the broker's CONNACK result code.</summary>
    public static async Task<MqttClientConnectResultCode> LoginAsync(MqttClientOptionsBuilder options)
    {
        await using var client = new TestMqttClient();
        return (await client.TryConnectAsync(options.Build())).ResultCode;
    }

    public void Dispose()
    {
        Accounts.Dispose();
        _broker?.Dispose();
        try { Directory.Delete(_state, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class SecuredBrokerCollection : ICollectionFixture<SecuredBroker>
{
    public const string Name = "secured broker";
}
