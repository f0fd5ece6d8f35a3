using System.Buffers;
using System.Text.Json.Nodes;
using System.Text.Json;
using System.Text;
using Iot.Contract.Identity;
using Iot.Fleet.Broker;
using Iot.Gateway.Provisioning;
using Iot.Gateway.Virtual.Simulation;
using Iot.Testing;
using MQTTnet;
using Iot.Contract.Factory;
using MosquittoBroker = Iot.Stack.MosquittoBroker;
using MosquittoOptions = Iot.Stack.MosquittoOptions;
using Xunit.Abstractions;

namespace Iot.VirtualGateway.Tests;

/// <summary>
/// A factory-fresh virtual gateway against a Mosquitto with the fleet's kinds of account and ACL: it logs in
/// with its bootstrap account, says hello, is given its own credentials on its provisioning topic (here the test plays
/// the fleet's ProvisioningExchange), reconnects with them and delivers everything it measured meanwhile.
/// </summary>
public sealed class ClaimFlowTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("iot-claim-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_state, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task An_unclaimed_gateway_uses_only_its_provisioning_topics_then_sends_telemetry_under_its_own_account()
    {
        // The factory: a batch of one, its list as iot-prov writes it.
        const string id = "VC-000001";
        var identity = new FactoryIdentity(id, ClaimCode.Generate(), BootstrapSecret.Generate(), DateTimeOffset.UtcNow);
        var factoryList = Path.Combine(_state, FactoryList.FileName);
        FactoryList.Write(factoryList, [identity]);

        // The broker's accounts as the fleet's BrokerAccounts writes them (fleet, bootstrap, and the device's own account,
        // whose password the gateway learns only from the credentials message).
        string fleetPassword = MosquittoPassword.Generate(), ownPassword = MosquittoPassword.Generate();
        var passwords = Path.Combine(_state, "passwords");
        var acl = Path.Combine(_state, "acl");
        File.WriteAllText(passwords, $"fleet:{MosquittoPassword.Hash(fleetPassword)}\nboot-{id}:{MosquittoPassword.Hash(identity.BootstrapSecret)}\n{id}:{MosquittoPassword.Hash(ownPassword)}\n");
        File.WriteAllText(acl, $"""
            user fleet
            topic read iot/v1/#
            topic write iot/v1/+/config
            topic write iot/v1/+/cmd
            topic write iot/v1/+/prov/#

            user boot-{id}
            topic readwrite iot/v1/{id}/prov/#

            user {id}
            topic readwrite iot/v1/{id}/#

            """);
        using var broker = MosquittoBroker.Start(new MosquittoOptions { StateDirectory = Path.Combine(_state, "mosquitto"), PasswordFile = passwords, AclFile = acl });

        await using var fleet = await TestMqttClient.ConnectAsync(
            TestMqttClient.Options(broker.Host, broker.Port, "fleet-test").WithCredentials("fleet", fleetPassword).Build());
        await fleet.SubscribeAsync("iot/v1/#");

        var scenario = Scenario.Parse($"""
            duration: 8m
            devices:
              - id: {id}
                site: noise
                jitter: 0
                levels: {"{"}laeq: 62{"}"}
            """);
        await using var runner = new FleetRunner(scenario, new FleetOptions
        {
            Host = broker.Host, Port = broker.Port, Speed = 30, StateDirectory = _state, Log = output.WriteLine,
            Logins = FleetRegistration.FromFactoryList(factoryList),
        });
        var gateway = runner.Gateways[0];
        var run = runner.RunAsync(TimeSpan.FromSeconds(60));

        // The fleet's side: wait for hellos while the gateway journals two records, then answer one with credentials.
        var beforeClaim = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var message = await fleet.Messages.ReadAsync(timeout.Token);
            beforeClaim.Add(message.Topic);
            if (message.Topic != $"iot/v1/{id}/prov/hello") continue;
            var hello = JsonNode.Parse(message.Payload.ToArray())!;
            Assert.Equal(id, (string?)hello["dev"]);
            if (gateway.RecordsWritten >= 2) break;
        }
        Assert.Equal(LoginKind.Bootstrap, gateway.Runtime!.Login);
        Assert.All(beforeClaim, t => Assert.Equal($"iot/v1/{id}/prov/hello", t));
        Assert.True(beforeClaim.Count >= 2, "hello after connecting and again 30 s later");

        // With the login comes the evidence key: from now on every envelope ends in its HMAC-SHA256 (`mac`).
        var evidenceKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var credentials = new JsonObject { ["v"] = 1, ["dev"] = id, ["user"] = id, ["password"] = ownPassword, ["key"] = Convert.ToHexStringLower(evidenceKey) };
        await fleet.PublishAsync($"iot/v1/{id}/prov/credentials", credentials.ToJsonString());

        // Telemetry and status now arrive; the ACL lets only the device's own account publish them.
        var seqs = new SortedSet<uint>();
        bool online = false;
        while (seqs.Count < 2 || !online)
        {
            var message = await fleet.Messages.ReadAsync(timeout.Token);
            if (message.Topic == $"iot/v1/{id}/status") online |= JsonNode.Parse(message.Payload.ToArray())!["online"]!.GetValue<bool>();
            if (message.Topic != $"iot/v1/{id}/telemetry") continue;
            var payload = message.Payload.ToArray();
            var signed = payload[..^74];
            Assert.Equal($",\"mac\":\"{Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(evidenceKey, signed))}\"}}",
                System.Text.Encoding.ASCII.GetString(payload[^74..]));
            foreach (var rec in JsonDocument.Parse(message.Payload).RootElement.GetProperty("recs").EnumerateArray()) seqs.Add(rec.GetProperty("seq").GetUInt32());
        }
        Assert.Equal(LoginKind.Claimed, gateway.Runtime!.Login);
        Assert.Equal(id, gateway.Link.UserName);
        Assert.Equal([1u, 2u], seqs.Take(2)); // measured while unclaimed, sent after the switch

        var summary = await run;
        Assert.True(summary.Drained);
    }
}
