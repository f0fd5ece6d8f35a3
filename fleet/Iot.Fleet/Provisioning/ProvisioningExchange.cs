using Iot.Contract;
using Iot.Fleet.Health;
using System.Text.Json;
using System.Text.Json.Nodes;
using Iot.Fleet.Ingest;
using Iot.Fleet.Broker;
using Iot.Fleet.Telemetry;
using MQTTnet;

namespace Iot.Fleet.Provisioning;

/// <summary>
/// The fleet's side of the provisioning topics (project-defined; see README.md in this folder):
/// a claimed gateway that says hello on `iot/v1/{id}/prov/hello` gets its own broker credentials on
/// `iot/v1/{id}/prov/credentials`; the first status it then publishes (which only its own account may
/// do) ends its bootstrap account. The credentials carry the gateway's evidence key (`key`, 64 hex digits), with
/// which it authenticates its telemetry.
/// </summary>
public sealed class ProvisioningExchange(
    FleetMqtt mqtt,
    FactoryGateways gateways,
    ILogger<ProvisioningExchange> logger,
    TimeProvider clock,
    FleetHealth health,
    BrokerAccounts? broker = null,
    DeviceKeys? evidenceKeys = null) : SupervisedService(health, logger, clock)
{
    public const string HelloTopic = Topics.ProvisioningHello;
    public const string CredentialsTopic = Topics.ProvisioningCredentials;

    /// <summary>A gateway says hello every 30 s until it has credentials; hellos closer together than this
    /// are ignored, so a flood cannot mint passwords and reload the broker on every message.</summary>
    public static readonly TimeSpan HelloInterval = TimeSpan.FromSeconds(20);

    private readonly Dictionary<string, DateTimeOffset> _lastHello = new(StringComparer.Ordinal);

    protected override string Stage => "provisioning";

    protected override async Task RunAsync(CancellationToken stop)
    {
        await Task.Yield();
        using var session = await mqtt.OpenAsync("-prov", Logger, stop);
        await session.SubscribeAsync([Topics.EveryDevice(HelloTopic), Topics.EveryDevice(Topics.Status)], stop);
        var awaiting = gateways.AwaitingSwitch().ToHashSet(StringComparer.Ordinal);
        while (!stop.IsCancellationRequested)
        {
            var received = await session.ReadAsync();
            var message = received.ApplicationMessage;
            // One bad message never stops the exchange for the other gateways.
            try
            {
                await Handle(session, message, awaiting, stop);
            }
            catch (Exception e) when (e is RejectedMessageException or JsonException)
            {
                Logger.LogWarning("provisioning: ignored a bad message on {Topic}: {Reason}", message.Topic, e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException and not IOException)
            {
                Logger.LogError(e, "provisioning: a message on {Topic} failed; carrying on with the others", message.Topic);
            }
            // Handled (a gateway that missed its credentials says hello again): the broker may forget it.
            await received.AcknowledgeAsync(stop);
        }
    }

    private async Task Handle(FleetSession session, MqttApplicationMessage message, HashSet<string> awaiting, CancellationToken stop)
    {
        if (!Topics.TryParse(message.Topic, out var device, out var kind) || !WireProtocol.DeviceId().IsMatch(device)) return;
        var payload = System.Buffers.BuffersExtensions.ToArray(message.Payload);
        if (kind == HelloTopic && !TooSoon(device) && Hello(device, payload))
        {
            if (broker is null)
            {
                Logger.LogWarning("gateway {Device} waits for credentials, but broker security is off (Broker:Enabled)", device);
                return;
            }
            var credentials = broker.CreateDevice(device);
            awaiting.Add(device);
            var body = new JsonObject { ["v"] = WireProtocol.Version, ["dev"] = device, ["user"] = credentials.UserName, ["password"] = credentials.Password };
            // The evidence key that authenticates the gateway's telemetry: the same one on every answer, so whichever
            // answer the gateway takes, it holds the fleet's current key (Ingest/DeviceProof.cs).
            if (evidenceKeys is not null) body["key"] = evidenceKeys.Ensure(device, "claim").Hex;
            await session.PublishAsync(Topics.For(device, CredentialsTopic), body.ToJsonString(), stop);
            Logger.LogInformation("gateway {Device}: own credentials sent over its provisioning topic", device);
        }
        else if (kind == Topics.Status && awaiting.Contains(device) && MessageParser.ParseStatus(device, payload).Online)
        {
            if (gateways.Switched(device)) Logger.LogInformation("gateway {Device} speaks with its own credentials; bootstrap account revoked", device);
            awaiting.Remove(device);
        }
    }

    /// <summary>True when the device said hello less than <see cref="HelloInterval"/> ago; otherwise notes this one.</summary>
    private bool TooSoon(string device)
    {
        var now = Clock.GetUtcNow();
        if (_lastHello.TryGetValue(device, out var last) && now - last < HelloInterval) return true;
        // Bounded: a flood of made-up ids forgets the old entries, which only costs them one more hello.
        if (_lastHello.Count >= 100_000) _lastHello.Clear();
        _lastHello[device] = now;
        return false;
    }

    /// <summary>Checks a hello (`{"v":1,"dev":id}`) and records it; true when the gateway is claimed and waits.</summary>
    private bool Hello(string device, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > WireProtocol.MaxPayloadBytes) throw new JsonException($"hello is larger than {WireProtocol.MaxPayloadBytes} bytes");
        using var hello = JsonDocument.Parse(payload.ToArray());
        if (hello.RootElement.ValueKind != JsonValueKind.Object) throw new JsonException("hello is not a JSON object");
        if (!hello.RootElement.TryGetProperty("dev", out var dev) || dev.ValueKind != JsonValueKind.String || dev.GetString() != device)
            throw new JsonException("hello's dev is not the string of its topic's device id");
        return gateways.Announced(device);
    }
}
