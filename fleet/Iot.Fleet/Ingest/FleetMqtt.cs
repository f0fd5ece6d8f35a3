using Iot.Fleet.Security;
using Iot.Mqtt;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Ingest;

/// <summary>
/// The fleet's MQTT sessions (ingest, provisioning exchange, OTA campaigns): one broker and one login, each
/// session with its own client id, and one way of waiting for the broker. The login comes from configuration,
/// or, when the fleet manages the broker's accounts, is a fresh password made at start (never stored).
/// </summary>
public sealed class FleetMqtt(IOptions<MqttIngestOptions> options, BrokerAccounts? broker = null)
{
    private readonly Lazy<BrokerCredentials?> _managed = new(() => broker?.CreateFleetAccount());

    public MqttIngestOptions Settings => options.Value;

    /// <summary>Client options of one session (`{ClientId}{suffix}`), with what the session needs besides.</summary>
    public MqttClientOptions ClientOptions(string clientIdSuffix = "", Action<MqttClientOptions>? configure = null)
    {
        var o = options.Value;
        var (user, password) = o.UserName is { Length: > 0 } ? (o.UserName, o.Password) : _managed.Value is { } c ? (c.UserName, c.Password) : (null, null);
        var session = new MqttClientOptions { Host = o.Host, Port = o.Port, ClientId = o.ClientId + clientIdSuffix, UserName = user, Password = password };
        configure?.Invoke(session);
        return session;
    }

    /// <summary>Connects, retrying with backoff (0.2 s doubling to 10 s) until the broker answers or the fleet stops.</summary>
    public async Task ConnectAsync(MqttClient client, ILogger logger, CancellationToken stop)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                await client.ConnectAsync(stop);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("MQTT broker at {Host}:{Port} not reachable ({Reason}); retrying", options.Value.Host, options.Value.Port, e.Message);
                await Task.Delay(delay, stop);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }
}
