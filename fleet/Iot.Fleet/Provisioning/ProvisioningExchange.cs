using System.Text.Json;
using System.Text.Json.Nodes;
using Iot.Fleet.Ingest;
using Iot.Fleet.Security;
using Iot.Fleet.Telemetry;
using Iot.Mqtt;

namespace Iot.Fleet.Provisioning;

/// <summary>
/// The fleet's side of the provisioning topics (project-defined; see README.md in this folder):
/// a claimed gateway that says hello on `iot/v1/{id}/prov/hello` gets its own broker credentials on
/// `iot/v1/{id}/prov/credentials`; the first status it then publishes (which only its own account may
/// do) ends its bootstrap account.
/// </summary>
public sealed class ProvisioningExchange(
    FleetMqtt mqtt,
    FactoryGateways gateways,
    ILogger<ProvisioningExchange> logger,
    BrokerAccounts? broker = null) : BackgroundService
{
    public const string HelloTopic = "prov/hello";
    public const string CredentialsTopic = "prov/credentials";

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        await Task.Yield();
        await using var client = new MqttClient(mqtt.ClientOptions("-prov"));
        await mqtt.ConnectAsync(client, logger, stop);
        await client.SubscribeAsync([new MqttSubscription($"{WireProtocol.TopicRoot}/+/{HelloTopic}"), new MqttSubscription($"{WireProtocol.TopicRoot}/+/status")], stop);
        var awaiting = gateways.AwaitingSwitch().ToHashSet(StringComparer.Ordinal);
        await foreach (var message in client.Messages.ReadAllAsync(stop))
        {
            // One bad message never stops the exchange for the other gateways.
            try
            {
                if (!WireProtocol.TryParseTopic(message.Topic, out var device, out var kind) || !WireProtocol.DeviceId().IsMatch(device)) continue;
                if (kind == HelloTopic && Hello(device, message.Payload.Span))
                {
                    if (broker is null)
                    {
                        logger.LogWarning("gateway {Device} waits for credentials, but broker security is off (Broker:Enabled)", device);
                        continue;
                    }
                    var credentials = broker.CreateDevice(device);
                    awaiting.Add(device);
                    var body = new JsonObject { ["v"] = WireProtocol.Version, ["dev"] = device, ["user"] = credentials.UserName, ["password"] = credentials.Password };
                    await client.PublishAsync(WireProtocol.Topic(device, CredentialsTopic), body.ToJsonString(), cancellationToken: stop);
                    logger.LogInformation("gateway {Device}: own credentials sent over its provisioning topic", device);
                }
                else if (kind == "status" && awaiting.Contains(device) && MessageParser.ParseStatus(device, message.Payload.Span).Online)
                {
                    if (gateways.Switched(device)) logger.LogInformation("gateway {Device} speaks with its own credentials; bootstrap account revoked", device);
                    awaiting.Remove(device);
                }
            }
            catch (Exception e) when (e is RejectedMessageException or JsonException)
            {
                logger.LogWarning("provisioning: ignored a bad message on {Topic}: {Reason}", message.Topic, e.Message);
            }
        }
    }

    /// <summary>Checks a hello (`{"v":1,"dev":id}`) and records it; true when the gateway is claimed and waits.</summary>
    private bool Hello(string device, ReadOnlySpan<byte> payload)
    {
        var hello = JsonNode.Parse(payload.ToArray()) as JsonObject ?? throw new JsonException("hello is not a JSON object");
        if ((string?)hello["dev"] != device) throw new JsonException("hello's dev does not match its topic");
        return gateways.Announced(device);
    }
}
