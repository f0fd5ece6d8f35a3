using System.Globalization;
using System.Text;
using Iot.Fleet.Health;
using Iot.Fleet.Telemetry;
using Microsoft.Extensions.Options;
using MQTTnet;

namespace Iot.Fleet.Broker;

/// <summary>Options of the fleet's MQTT sessions and its ingest (section "Mqtt").</summary>
public sealed class FleetMqttOptions
{
    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 1883;
    public string ClientId { get; set; } = "fleet-1";
    public string? UserName { get; set; }
    public string? Password { get; set; }

    /// <summary>When set, subscribe as `$share/{group}/…` so several fleet instances split the load.</summary>
    public string? SharedGroup { get; set; }

    /// <summary>Messages handled per durable transaction.</summary>
    public int MaxBatch { get; set; } = 2000;

    /// <summary>Messages moved from the ingest's backfill lane into the journal per transaction (Ingest/IngestBacklog).</summary>
    public int BacklogBatch { get; set; } = 20;

    /// <summary>Messages of the backfill topic written into the lane per transaction: small, so a live batch waits for
    /// the store at most one such step (about a megabyte).</summary>
    public int BackfillReceiveBatch { get; set; } = 100;

    /// <summary>Telemetry messages one device may send per second, after a burst of 30 s worth (0: no limit).</summary>
    public double DeviceMessagesPerSecond { get; set; } = 50;
}

/// <summary>
/// The fleet's MQTT sessions (ingest, provisioning exchange, OTA campaigns): one broker and one login, each
/// session with its own client id, and one way of waiting for the broker. The login comes from configuration,
/// or, when the fleet manages the broker's accounts, is a fresh password made at start (never stored) for this
/// instance's own account (`fleet@{ClientId}`), so a second instance never resets the first one's.
/// </summary>
public sealed class FleetMqtt(IOptions<FleetMqttOptions> options, BrokerAccounts? broker = null)
{
    private readonly Lazy<BrokerCredentials?> _managed = new(() => broker?.CreateFleetAccount(options.Value.ClientId));

    public FleetMqttOptions Settings => options.Value;

    /// <summary>Largest packet a fleet session sends or accepts: twice the wire protocol's envelope, the project broker's limit.</summary>
    public const int MaximumPacketSize = 2 * WireProtocol.MaxPayloadBytes;

    /// <summary>QoS 1 messages a session holds unacknowledged, unless it asks for more (the ingest: four batches).</summary>
    public const ushort DefaultReceiveMaximum = 1000;

    /// <summary>Opens the MQTTnet session `{ClientId}{suffix}` (MQTT 5.0, this instance's login), retrying until the broker
    /// answers or the fleet stops; <paramref name="configure"/> adds what the session needs besides (a persistent one:
    /// clean start off and a session expiry).</summary>
    /// <param name="clientId">Another instance's client id instead (the leader reading a silent instance's session).</param>
    public async Task<FleetSession> OpenAsync(string clientIdSuffix, ILogger logger, CancellationToken stop, Action<MqttClientOptionsBuilder>? configure = null,
        string? clientId = null)
    {
        var o = options.Value;
        clientId ??= o.ClientId + clientIdSuffix;
        var (user, password) = Login();
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(o.Host, o.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithClientId(clientId)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(30))
            .WithMaximumPacketSize(MaximumPacketSize)
            // Unacknowledged QoS 1 messages the broker may send at once: the bound of a session's queue.
            .WithReceiveMaximum(DefaultReceiveMaximum);
        if (user is not null) builder.WithCredentials(user, password);
        configure?.Invoke(builder);
        var session = new FleetSession($"{o.Host}:{o.Port}", logger, stop);
        try
        {
            var delay = TimeSpan.FromMilliseconds(200);
            while (true)
            {
                try
                {
                    var connected = await session.Client.ConnectAsync(builder.Build(), stop);
                    // MQTTnet returns a refusal (CONNACK reason code) rather than throwing it.
                    if (connected.ResultCode != MqttClientConnectResultCode.Success)
                        throw new IOException($"the broker refused the login: {connected.ResultCode} {connected.ReasonString}");
                    logger.LogInformation("Connected to MQTT {Broker} as {ClientId} (session present: {Session})", session.Broker, clientId, connected.IsSessionPresent);
                    return session;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    delay = await Unreachable(e, delay, logger, stop);
                }
            }
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private (string? UserName, string? Password) Login()
    {
        var o = options.Value;
        return o.UserName is { Length: > 0 } ? (o.UserName, o.Password) : _managed.Value is { } c ? (c.UserName, c.Password) : (null, null);
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
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Watch(stop);
            }
            catch (IOException e)
            {
                // A lost broker: the session is opened again (the figures are only a view, nothing to redeliver).
                health.SetRunning(Stage, false);
                logger.LogWarning("broker queue watch: {Reason}", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stop);
            }
        }
    }

    private async Task Watch(CancellationToken stop)
    {
        using var session = await mqtt.OpenAsync("-sys", logger, stop);
        await session.SubscribeAsync([Stored, Retained, Dropped, Sent], stop, MQTTnet.Protocol.MqttQualityOfServiceLevel.AtMostOnce);
        health.SetRunning(Stage, true);
        while (!stop.IsCancellationRequested)
        {
            var message = (await session.ReadAsync()).ApplicationMessage;
            if (!long.TryParse(Encoding.ASCII.GetString(message.Payload), NumberStyles.None, CultureInfo.InvariantCulture, out var value)) continue;
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
