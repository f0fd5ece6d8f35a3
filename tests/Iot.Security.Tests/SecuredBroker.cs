using System.Text;
using Iot.Fleet.Broker;
using Iot.Fleet.Storage;
using Iot.Mqtt;
using Iot.Stack;
using Xunit;

namespace Iot.Security.Tests;

/// <summary>One Mosquitto with the project's security: accounts from <see cref="BrokerAccounts"/> (reloaded
/// through the broker's pid file, as a fleet that does not own the broker does it), a TLS listener with
/// the project CA and a client-certificate listener.</summary>
public sealed class SecuredBroker : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

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
            if (_broker is { } broker) BrokerAccounts.SignalReload(broker.PidFile);
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
    public MqttClientOptions Options(BrokerCredentials? credentials, MqttProtocolVersion version, string? clientId = null) => new()
    {
        Host = "127.0.0.1",
        Port = Broker.Port,
        ProtocolVersion = version,
        ClientId = clientId ?? credentials?.UserName + "-" + Guid.NewGuid().ToString("N")[..6],
        UserName = credentials?.UserName,
        Password = credentials?.Password,
        AutoReconnect = false,
        AutoAcknowledge = true,
    };

    /// <summary>Connects, retrying while the broker has not yet reloaded a just-created account.</summary>
    public static async Task<MqttClient> ConnectAsync(MqttClientOptions options)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var client = new MqttClient(options);
            try
            {
                await client.ConnectAsync();
                return client;
            }
            catch (MqttException e) when (e.ReasonCode is MqttReasonCode.NotAuthorized or MqttReasonCode.BadUserNameOrPassword && DateTime.UtcNow < deadline)
            {
                await client.DisposeAsync();
                await Task.Delay(20);
            }
            catch
            {
                await client.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>Connects the fleet's account, subscribed to every device's topics.</summary>
    public async Task<MqttClient> ConnectFleetAsync(MqttProtocolVersion version)
    {
        var fleet = await ConnectAsync(Options(Fleet, version));
        Assert.Equal(MqttReasonCode.GrantedQoS1, await fleet.SubscribeAsync("iot/v1/#"));
        return fleet;
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

internal static class MqttTestExtensions
{
    public static async Task<MqttMessage> ReceiveAsync(this MqttClient client)
    {
        using var cts = new CancellationTokenSource(SecuredBroker.Timeout);
        return await client.Messages.ReadAsync(cts.Token);
    }

    /// <summary>The topics received up to and including <paramref name="marker"/>: a message the test sent after the
    /// one that must not arrive, so "not received" is known without waiting for a timeout.</summary>
    public static async Task<List<string>> TopicsUntilAsync(this MqttClient client, string marker)
    {
        var topics = new List<string>();
        while (true)
        {
            var message = await client.ReceiveAsync();
            topics.Add(message.Topic);
            if (message.Topic == marker) return topics;
        }
    }

    public static string Text(this MqttMessage message) => Encoding.UTF8.GetString(message.Payload.Span);

    /// <summary>Publishes at QoS 1 and returns how the broker answered: null when it acknowledged, else its reason code.
    /// MQTT 3.1.1 has no way to refuse a publish, so a forbidden one is acknowledged and dropped.</summary>
    public static async Task<MqttReasonCode?> TryPublishAsync(this MqttClient client, string topic, string payload = "x")
    {
        try
        {
            await client.PublishAsync(topic, payload).WaitAsync(SecuredBroker.Timeout);
            return null;
        }
        catch (MqttException e) when (e is not MqttProtocolException)
        {
            return e.ReasonCode;
        }
    }
}
