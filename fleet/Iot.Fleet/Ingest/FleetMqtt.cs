using System.Globalization;
using System.Text;
using Iot.Fleet.Health;
using Iot.Fleet.Security;
using Iot.Mqtt;
using Microsoft.Extensions.Options;
using MQTTnet;
using Net = MQTTnet;

namespace Iot.Fleet.Ingest;

/// <summary>
/// The fleet's MQTT sessions (ingest, provisioning exchange, OTA campaigns): one broker and one login, each
/// session with its own client id, and one way of waiting for the broker. The login comes from configuration,
/// or, when the fleet manages the broker's accounts, is a fresh password made at start (never stored) for this
/// instance's own account (`fleet@{ClientId}`), so a second instance never resets the first one's.
/// </summary>
public sealed class FleetMqtt(IOptions<MqttIngestOptions> options, BrokerAccounts? broker = null)
{
    private readonly Lazy<BrokerCredentials?> _managed = new(() => broker?.CreateFleetAccount(options.Value.ClientId));

    public MqttIngestOptions Settings => options.Value;

    /// <summary>Client options of one session (`{ClientId}{suffix}`), with what the session needs besides.</summary>
    public Iot.Mqtt.MqttClientOptions ClientOptions(string clientIdSuffix = "", Action<Iot.Mqtt.MqttClientOptions>? configure = null)
    {
        var o = options.Value;
        var (user, password) = Login();
        var session = new Iot.Mqtt.MqttClientOptions { Host = o.Host, Port = o.Port, ClientId = o.ClientId + clientIdSuffix, UserName = user, Password = password };
        configure?.Invoke(session);
        return session;
    }

    /// <summary>The same session for MQTTnet (MQTT 5.0): `{ClientId}{suffix}`, this instance's login, and packets no larger
    /// than the project's broker allows; <paramref name="configure"/> adds what the session needs besides.</summary>
    public Net.MqttClientOptions Session(string clientIdSuffix = "", Action<MqttClientOptionsBuilder>? configure = null)
    {
        var o = options.Value;
        var (user, password) = Login();
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(o.Host, o.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithClientId(o.ClientId + clientIdSuffix)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(30))
            .WithMaximumPacketSize(Iot.Mqtt.MqttClientOptions.DefaultMaximumPacketSize);
        if (user is not null) builder.WithCredentials(user, password);
        configure?.Invoke(builder);
        return builder.Build();
    }

    private (string? UserName, string? Password) Login()
    {
        var o = options.Value;
        return o.UserName is { Length: > 0 } ? (o.UserName, o.Password) : _managed.Value is { } c ? (c.UserName, c.Password) : (null, null);
    }

    /// <summary>Connects, retrying with backoff (0.2 s doubling to 10 s) until the broker answers or the fleet stops.</summary>
    public async Task ConnectAsync(Iot.Mqtt.MqttClient client, ILogger logger, CancellationToken stop)
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
                delay = await Unreachable(e, delay, logger, stop);
            }
        }
    }

    /// <summary>Connects an MQTTnet client like <see cref="ConnectAsync(Iot.Mqtt.MqttClient, ILogger, CancellationToken)"/>: retrying
    /// until the broker answers or the fleet stops. MQTTnet does not reconnect by itself; its callers restart on a loss.</summary>
    public async Task<MqttClientConnectResult> ConnectAsync(IMqttClient client, Net.MqttClientOptions session, ILogger logger, CancellationToken stop)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                return await client.ConnectAsync(session, stop);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                delay = await Unreachable(e, delay, logger, stop);
            }
        }
    }

    /// <summary>Logs a failed attempt and waits before the next (0.2 s doubling to 10 s); returns the next delay.</summary>
    private async Task<TimeSpan> Unreachable(Exception e, TimeSpan delay, ILogger logger, CancellationToken stop)
    {
        logger.LogWarning("MQTT broker at {Host}:{Port} not reachable ({Reason}); retrying", options.Value.Host, options.Value.Port, e.Message);
        await Task.Delay(delay, stop);
        return TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
    }
}

/// <summary>
/// Watches how many messages the broker holds for its clients, from Mosquitto 2.0's $SYS tree (it has no per-client
/// figure): queued = stored − retained. The fleet's persistent session is where a backlog builds when the fleet is
/// down or too slow, so a deep queue is a warning in the log and stage `broker_queue` in /healthz (its pending);
/// a message the broker drops because a queue is full is an error.
/// </summary>
public sealed class BrokerQueueWatch(FleetMqtt mqtt, FleetHealth health, ILogger<BrokerQueueWatch> logger) : BackgroundService
{
    public const string Stage = "broker_queue";
    private const string Stored = "$SYS/broker/store/messages/count", Retained = "$SYS/broker/retained messages/count",
        Dropped = "$SYS/broker/publish/messages/dropped", Sent = "$SYS/broker/publish/messages/sent";

    /// <summary>Queued messages worth a warning: about an hour of 3,000 gateways (Iot.Stack's BrokerLimits sizes the queues for a day).</summary>
    public const long WarnAt = 250_000;

    private long _stored, _retained, _sent, _dropped = -1, _warnedAt;

    /// <summary>Messages the broker holds for clients, by its last $SYS report.</summary>
    public long Queued => Math.Max(0, Interlocked.Read(ref _stored) - Interlocked.Read(ref _retained));

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        await Task.Yield();
        health.Watch(Stage, () => (Queued, Interlocked.Read(ref _sent)));
        await using var client = new Iot.Mqtt.MqttClient(mqtt.ClientOptions("-sys", o => o.AutoAcknowledge = true));
        await mqtt.ConnectAsync(client, logger, stop);
        await client.SubscribeAsync(new[] { Stored, Retained, Dropped, Sent }.Select(t => new MqttSubscription(t, MqttQualityOfService.AtMostOnce)), stop);
        health.SetRunning(Stage, true);
        await foreach (var message in client.Messages.ReadAllAsync(stop))
        {
            if (!long.TryParse(Encoding.ASCII.GetString(message.Payload.Span), NumberStyles.None, CultureInfo.InvariantCulture, out var value)) continue;
            switch (message.Topic)
            {
                case Stored: Interlocked.Exchange(ref _stored, value); break;
                case Retained: Interlocked.Exchange(ref _retained, value); break;
                case Sent: Interlocked.Exchange(ref _sent, value); break;
                case Dropped:
                    if (_dropped >= 0 && value > _dropped)
                        logger.LogError("the broker dropped {Count} messages because a client's queue was full (max_queued_messages/bytes)", value - _dropped);
                    _dropped = value;
                    break;
            }
            // Warn on crossing the mark and again at each doubling, not on every report.
            var queued = Queued;
            if (queued >= WarnAt && queued >= 2 * _warnedAt)
            {
                logger.LogWarning("the broker holds {Queued} queued messages: is the fleet down or falling behind?", queued);
                _warnedAt = queued;
            }
            else if (queued < WarnAt / 2) _warnedAt = 0;
        }
    }
}
