using Iot.Fleet.Leads;
using Iot.Fleet.Registry;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;
using Iot.Mqtt;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Ingest;

/// <summary>Options of the fleet's MQTT ingest (section "Mqtt").</summary>
public sealed class MqttIngestOptions
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
}

/// <summary>
/// Takes device messages from the broker and makes them durable before acknowledging them:
/// validate → store the batch in one transaction (records de-duplicated by dev+seq) → PUBACK in
/// arrival order → judge the new records → save leads with the rules cursor. A crash anywhere
/// loses nothing: unacknowledged messages come again and are de-duplicated; stored but unjudged
/// records are judged on start.
/// </summary>
public sealed class TelemetryIngest(
    IOptions<MqttIngestOptions> options,
    RecordJournal journal,
    LeadStore leads,
    SiteRegistry registry,
    RuleEngine engine,
    InfluxWriter influx,
    IngestCounters counters,
    FleetMqtt mqtt,
    TimeProvider clock,
    ILogger<TelemetryIngest> logger) : BackgroundService
{
    /// <summary>Message kinds the ingest reads; the others belong to provisioning and OTA.</summary>
    public static readonly string[] Kinds = ["telemetry", "event", "status"];

    /// <summary>Stored batches waiting for the rules; bounded so the rules set the pace when they fall behind.</summary>
    private readonly System.Threading.Channels.Channel<StoredBatch> _toJudge =
        System.Threading.Channels.Channel.CreateBounded<StoredBatch>(new System.Threading.Channels.BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        await Task.Yield();
        CatchUpRules();
        var judging = Task.Factory.StartNew(() => JudgeLoop(stop), stop, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        try
        {
            await Receive(stop);
        }
        finally
        {
            _toJudge.Writer.TryComplete();
            await judging;
        }
    }

    private async Task JudgeLoop(CancellationToken stop)
    {
        try
        {
            await foreach (var stored in _toJudge.Reader.ReadAllAsync(stop)) Judge(stored);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Anything not judged yet is in the journal after the rules cursor: judged on the next start.
        }
    }

    private async Task Receive(CancellationToken stop)
    {
        var o = options.Value;
        await using var client = new MqttClient(mqtt.ClientOptions(configure: session =>
        {
            session.CleanStart = false;
            session.SessionExpiryInterval = TimeSpan.FromDays(7);
            session.AutoAcknowledge = false;
            // Acks wait until a batch is durable: the broker must be allowed to send the next batches
            // meanwhile, or it idles during every store (receive maximum, MQTT 5).
            session.ReceiveMaximum = (ushort)Math.Min(ushort.MaxValue, o.MaxBatch * 4);
            session.MessageBufferCapacity = Math.Max(o.MaxBatch * 4, 10_000);
        }));
        client.Connected += (_, e) => logger.LogInformation("Connected to MQTT {Host}:{Port} (session present: {Session})", o.Host, o.Port, e.Result.SessionPresent);
        client.Disconnected += (_, e) => logger.LogWarning("MQTT connection lost: {Reason}", e);
        await mqtt.ConnectAsync(client, logger, stop);
        var prefix = string.IsNullOrEmpty(o.SharedGroup) ? "" : $"$share/{o.SharedGroup}/";
        await client.SubscribeAsync(Kinds.Select(k => new MqttSubscription($"{prefix}{WireProtocol.TopicRoot}/+/{k}")), stop);
        counters.Ready = true;

        var batch = new List<MqttMessage>(o.MaxBatch);
        while (!stop.IsCancellationRequested)
        {
            batch.Clear();
            try
            {
                batch.Add(await client.Messages.ReadAsync(stop));
            }
            catch (OperationCanceledException)
            {
                break;
            }
            while (batch.Count < o.MaxBatch && client.Messages.TryRead(out var more)) batch.Add(more);
            var stored = Handle(batch);
            foreach (var message in batch) await message.AcknowledgeAsync();
            influx.Enqueue(stored.Fresh);
            // Durable and acknowledged: the rules judge it on their own worker while the next batch is stored.
            await _toJudge.Writer.WriteAsync(stored, stop);
        }
    }

    /// <summary>What a batch added: new records in row order and the events that matter to the rules.</summary>
    internal sealed record StoredBatch(IReadOnlyList<TelemetryRecord> Fresh, IReadOnlyList<DeviceEvent> Events);

    /// <summary>Validates and stores one batch; returns only once it is durable.</summary>
    internal StoredBatch Handle(IReadOnlyList<MqttMessage> batch)
    {
        var now = clock.GetUtcNow();
        var accepted = new List<AcceptedTelemetry>();
        var rejections = new List<Rejection>();
        var events = new List<DeviceEvent>();
        var statuses = new List<DeviceStatus>();
        foreach (var message in batch)
        {
            string? device = null;
            try
            {
                if (!WireProtocol.TryParseTopic(message.Topic, out device, out var kind))
                    throw new RejectedMessageException("topic is not iot/v1/{device}/{kind}");
                var payload = message.Payload.Span;
                switch (kind)
                {
                    case "telemetry":
                        var envelope = MessageParser.ParseTelemetry(device, payload, now);
                        accepted.Add(new AcceptedTelemetry(message.Topic, message.Payload.ToArray(), envelope, registry.SiteOf(device)?.Id));
                        break;
                    case "event":
                        events.Add(MessageParser.ParseEvent(device, payload));
                        break;
                    case "status":
                        statuses.Add(MessageParser.ParseStatus(device, payload));
                        break;
                }
            }
            catch (RejectedMessageException e)
            {
                rejections.Add(new Rejection(device is { Length: > 0 } d && WireProtocol.DeviceId().IsMatch(d) ? d : null,
                    message.Topic, e.Message, MessageParser.Sample(message.Payload.Span), now));
            }
        }
        var fresh = journal.Store(accepted, rejections, events, statuses, now);
        counters.Count(accepted.Sum(a => a.Envelope.Records.Count), fresh.Count, rejections.Count);
        return new StoredBatch(fresh, events);
    }

    /// <summary>Judges a stored batch, after any earlier records the rules have not seen, and saves
    /// the leads together with the rules cursor.</summary>
    internal void Judge(StoredBatch stored)
    {
        CatchUp(stored.Fresh.Count > 0 ? stored.Fresh[0].RowId : long.MaxValue);
        foreach (var record in stored.Fresh)
            if (record.RowId > engine.AppliedUpTo) engine.Apply(record);
        foreach (var e in stored.Events.Where(e => e.Type == "tamper")) engine.ApplyTamperEvent(e.Device, e.Time);
        Save();
    }

    /// <summary>Applies journal records the rules have not seen, below <paramref name="beforeRowId"/>:
    /// after a crash, the ones stored but not judged.</summary>
    private void CatchUp(long beforeRowId)
    {
        while (true)
        {
            var pending = journal.ReadAfter(engine.AppliedUpTo, 5000, beforeRowId);
            foreach (var record in pending) engine.Apply(record);
            if (pending.Count < 5000) return;
            Save();
        }
    }

    private void Save()
    {
        var created = leads.Save(engine.TakeChanges(), engine.AppliedUpTo);
        counters.OnLeadsCreated(created);
    }

    /// <summary>On start: records stored before a crash but not judged yet are judged now.</summary>
    private void CatchUpRules()
    {
        engine.ResumeAfter(journal.Cursor(LeadStore.RulesCursor));
        CatchUp(long.MaxValue);
        Save();
    }
}

/// <summary>What the ingest has done, for health checks, tests and benchmarks.</summary>
public sealed class IngestCounters
{
    private long _received, _stored, _rejected, _leads;

    /// <summary>True once subscribed.</summary>
    public bool Ready { get; set; }
    public long RecordsReceived => Interlocked.Read(ref _received);
    public long RecordsStored => Interlocked.Read(ref _stored);
    public long MessagesRejected => Interlocked.Read(ref _rejected);
    public long LeadsRaised => Interlocked.Read(ref _leads);

    /// <summary>Raised with leads and alerts just created, after they are saved.</summary>
    public event Action<IReadOnlyList<Lead>>? LeadsCreated;

    internal void Count(long received, long stored, long rejected)
    {
        Interlocked.Add(ref _received, received);
        Interlocked.Add(ref _stored, stored);
        Interlocked.Add(ref _rejected, rejected);
    }

    internal void OnLeadsCreated(IReadOnlyList<Lead> created)
    {
        if (created.Count == 0) return;
        Interlocked.Add(ref _leads, created.Count);
        LeadsCreated?.Invoke(created);
    }
}
