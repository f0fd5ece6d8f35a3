using Iot.Stack;
using MQTTnet;

namespace Iot.Testing;

/// <summary>A fleet that manages its broker's accounts (real Mosquitto with the password and ACL files the fleet writes and
/// reloads by SIGHUP, InfluxDB and the fleet process): the stack the role tests and the claim of a factory-fresh gateway
/// (through the API and through the installer's page) run on.</summary>
public sealed class SecuredFleet : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("iot-secured-fleet-").FullName;

    public SecuredFleet()
    {
        var brokerState = Path.Combine(_state, "mosquitto");
        Directory.CreateDirectory(brokerState);
        var passwords = PasswordFile = Path.Combine(brokerState, "passwords");
        var acl = Path.Combine(brokerState, "acl");
        File.WriteAllText(passwords, "");
        File.WriteAllText(acl, "");
        Broker = MosquittoBroker.Start(new MosquittoOptions { StateDirectory = brokerState, PasswordFile = passwords, AclFile = acl });
        Influx = InfluxServer.Start();
        var options = new Iot.Stack.FleetOptions { MqttHost = Broker.Host, MqttPort = Broker.Port, InfluxUrl = Influx.Url,
            DatabaseConnectionString = Iot.Testing.TestDatabase.ForFleetServer() };
        options.Environment["Broker__Enabled"] = "true";
        options.Environment["Broker__PasswordFile"] = passwords;
        options.Environment["Broker__AclFile"] = acl;
        options.Environment["Broker__PidFile"] = Broker.PidFile;
        Fleet = FleetServer.Start(options);
    }

    /// <summary>Mosquitto's password file as the fleet writes it (hashes only).</summary>
    public string PasswordFile { get; }

    public MosquittoBroker Broker { get; }
    public InfluxServer Influx { get; }
    public FleetServer Fleet { get; }

    /// <summary>Connects as a device with its own account, retrying while the broker reloads its files.</summary>
    public async Task<TestMqttClient> Gateway(string user, string password)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                return await TestMqttClient.ConnectAsync(Options(user, password));
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    /// <summary>True when the broker refuses the login (waits for a reload to take effect).</summary>
    public async Task<bool> Refused(string user, string password)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            await using var client = new TestMqttClient();
            var result = await client.TryConnectAsync(Options(user, password));
            if (result.ResultCode is MqttClientConnectResultCode.NotAuthorized or MqttClientConnectResultCode.BadUserNameOrPassword) return true;
            await Task.Delay(200);
        }
        return false;
    }

    private MqttClientOptions Options(string user, string password) =>
        TestMqttClient.Options(Broker.Host, Broker.Port, $"{user}-{Guid.NewGuid():N}"[..20]).WithCredentials(user, password).Build();

    public void Dispose()
    {
        Fleet.Dispose();
        Influx.Dispose();
        Broker.Dispose();
        try { Directory.Delete(_state, recursive: true); } catch (IOException) { }
    }
}
