using Iot.Contract;
using Iot.Fleet.Broker;
using Iot.Fleet.Cluster;
using Iot.Fleet.Health;
using Iot.Fleet.Leads;
using Iot.Fleet.Registry;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;
using MQTTnet;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Ingest;

/// <summary>
/// Takes device messages from the broker and makes them durable before acknowledging them:
/// validate → store the batch in one transaction (records de-duplicated by dev+seq, events by their
/// content) → PUBACK in arrival order → judge the new records and events (the rules may start on what is durable before the
/// PUBACK goes) → save leads with the rules cursors. Telemetry sent late from a device's store (and anything of that device after it, so a device's
/// records keep their order) takes the backfill lane: written to the <see cref="IngestBacklog"/> as it came,
/// acknowledged, and moved into the journal in large batches whenever the judging has nothing else queued. A crash anywhere loses nothing: unacknowledged messages come again and are de-duplicated;
/// stored but unjudged records and events are judged on start. Each message is checked on its own, so a
/// bad one becomes a rejection and never stops the others; a failure of the stage itself (a database
/// error, a lost broker) restarts it with a fresh rule engine that resumes from the saved cursors.
/// </summary>
public sealed class TelemetryIngest(
    IOptions<FleetMqttOptions> options,
    RecordJournal journal,
    IngestBacklog backlog,
    LeadStore leads,
    SiteRegistry registry,
    InfluxWriter influx,
    IngestCounters counters,
    DeviceKeys evidenceKeys,
    FleetMqtt mqtt,
    FleetHealth health,
    TimeProvider clock,
    ILogger<TelemetryIngest> logger,
    FleetLeadership? leadership = null,
    FleetInstances? instances = null) : SupervisedService(health, logger, clock)
{
    /// <summary>Message kinds the ingest reads through its live session; the others belong to provisioning and OTA.</summary>
    public static readonly string[] Kinds = [Topics.Telemetry, Topics.Event, Topics.Status];

    /// <summary>The client id suffix of the session that reads the backfill topic: a queue of its own in the broker, so a
    /// city's replay after an outage never stands between a live record and the fleet.</summary>
    public const string BackfillSessionSuffix = "-backfill";

    /// <summary>The stages' names in /healthz.</summary>
    public const string IngestStage = "ingest", JudgingStage = "judging", BacklogStage = "backlog";

    private readonly DeviceRateLimits _limits = new(clock, options.Value.DeviceMessagesPerSecond);
    // Telemetry from other transports (HJ 212 monitors) waits here; it outlives a restart of the stage.
    private readonly System.Threading.Channels.Channel<ForeignBatch> _foreign =
        System.Threading.Channels.Channel.CreateBounded<ForeignBatch>(new System.Threading.Channels.BoundedChannelOptions(256));
    // One writer at a time: the journal numbers messages itself, and the rules must see batches in row order.
    private readonly SemaphoreSlim _storing = new(1, 1);
    // Null while this instance does not lead: the leader judges what every instance stores, from the journal.
    private RuleEngine? _engine;
    private long _eventsAppliedUpTo;
    // The cursors as this engine last saved them: a save that finds others there knows another leader judged meanwhile.
    private long _savedRules, _savedEvents;
    // The backfill lane: messages waiting per device (read and changed under _storing), their sum, and those moved so far.
    private Dictionary<string, int> _waiting = new(StringComparer.Ordinal);
    private long _waitingTotal, _moved;
    private readonly SemaphoreSlim _backlogAdded = new(0);
    // The session being read, so the backfill lane can yield while the broker has more for us.
    private FleetSession? _session;

    protected override string Stage => IngestStage;

    protected override async Task RunAsync(CancellationToken stop)
    {
        // A fresh engine each run: after a failure, memory may hold half-applied state; the journal does not.
        _engine = null;
        Health.Watch(JudgingStage, () => _engine is { } engine ? (journal.LatestRowId() - engine.AppliedUpTo, engine.AppliedUpTo) : (0, 0));
        _waiting = backlog.WaitingByDevice();
        Interlocked.Exchange(ref _waitingTotal, _waiting.Values.Sum());
        Health.Watch(BacklogStage, () => (Interlocked.Read(ref _waitingTotal), Interlocked.Read(ref _moved)));
        if (Leading) StartJudging();
        var toJudge = System.Threading.Channels.Channel.CreateBounded<StoredBatch>(
            new System.Threading.Channels.BoundedChannelOptions(8) { SingleReader = true });
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var judging = Task.Factory.StartNew(() => JudgeLoop(toJudge.Reader, failed), stop, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        // Stopped on its own at the end, so the judging worker still drains what was stored (as before foreign input).
        using var foreignStop = CancellationTokenSource.CreateLinkedTokenSource(failed.Token);
        var foreign = ForeignLoop(toJudge.Writer, foreignStop.Token, failed);
        var backfill = BackfillLoop(toJudge, foreignStop.Token, failed);
        var lateReading = ReadBackfillTopic(foreignStop.Token, failed);
        var adopting = AdoptLoop(toJudge.Writer, foreignStop.Token);
        try
        {
            await Receive(toJudge.Writer, failed.Token);
        }
        catch (OperationCanceledException) when (failed.IsCancellationRequested && !stop.IsCancellationRequested)
        {
            // The judging worker failed; its exception below says why.
        }
        finally
        {
            await foreignStop.CancelAsync();
            await foreign;
            await backfill;
            await lateReading;
            await adopting;
            toJudge.Writer.TryComplete();
            counters.Ready = false;
            await judging;
        }
    }

    /// <summary>Telemetry another transport accepted (HJ 212 monitors: validated with <see cref="MessageParser"/>, the raw
    /// frame as payload), with its rejections.</summary>
    private sealed record ForeignBatch(IReadOnlyList<AcceptedTelemetry> Accepted, IReadOnlyList<Rejection> Rejections, TaskCompletionSource Done);

    /// <summary>Stores telemetry from another transport exactly like an MQTT batch (one transaction, de-duplicated by
    /// dev+seq, conflicts kept aside), then InfluxDB and the rules; completes once durable, so the caller acknowledges
    /// only what is stored. What many connections submit meanwhile is stored in one transaction.</summary>
    public async Task StoreForeignAsync(IReadOnlyList<AcceptedTelemetry> accepted, IReadOnlyList<Rejection> rejections, CancellationToken cancel)
    {
        var item = new ForeignBatch(accepted, rejections, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await _foreign.Writer.WriteAsync(item, cancel);
        await using var _ = cancel.Register(() => item.Done.TrySetCanceled(cancel));
        await item.Done.Task;
    }

    private async Task ForeignLoop(System.Threading.Channels.ChannelWriter<StoredBatch> toJudge, CancellationToken stop, CancellationTokenSource failed)
    {
        await Task.Yield();
        var items = new List<ForeignBatch>();
        try
        {
            while (await _foreign.Reader.WaitToReadAsync(stop))
            {
                items.Clear();
                while (items.Count < options.Value.MaxBatch && _foreign.Reader.TryRead(out var item)) items.Add(item);
                await _storing.WaitAsync(stop);
                try
                {
                    StoredBatch stored;
                    try
                    {
                        var accepted = items.SelectMany(i => i.Accepted).ToList();
                        var rejections = items.SelectMany(i => i.Rejections).ToList();
                        var result = journal.Store(accepted, rejections, [], [], Clock.GetUtcNow());
                        counters.Count(accepted.Sum(a => a.Envelope.Records.Count), result.Records.Count, rejections.Count, result.Conflicts);
                        stored = new StoredBatch(result.Records, result.Events);
                    }
                    catch (Exception e)
                    {
                        foreach (var i in items) i.Done.TrySetException(e);
                        throw;
                    }
                    foreach (var i in items) i.Done.TrySetResult();
                    influx.Enqueue(stored.Fresh);
                    await toJudge.WriteAsync(stored, stop);
                }
                finally
                {
                    _storing.Release();
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping or restarting: what is stored is judged from the journal; the rest waits in the channel, and what was
            // taken but not stored is not acknowledged (its monitor sends it again).
            foreach (var i in items) i.Done.TrySetCanceled(stop);
        }
        catch
        {
            await failed.CancelAsync();
            throw;
        }
    }

    /// <summary>How often the leader looks for records other instances stored when its own ingest brings none.</summary>
    public static readonly TimeSpan FollowInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>A step of the ingest that holds it longer is logged (<see cref="SlowStep"/>): live records wait behind it.</summary>
    private static readonly TimeSpan SlowStepThreshold = TimeSpan.FromSeconds(1);

    private bool Leading => leadership?.IsLeader ?? true;

    /// <summary>Judges stored batches in order while this instance leads, and what other instances store between them; a
    /// standby drops its batches (they are in the journal, where the leader reads them). On a failure it stops the
    /// receiving side too, so the supervisor restarts the stage and the records are judged again from the journal.</summary>
    private async Task JudgeLoop(System.Threading.Channels.ChannelReader<StoredBatch> reader, CancellationTokenSource failed)
    {
        try
        {
            while (true)
            {
                bool open;
                using (var tick = CancellationTokenSource.CreateLinkedTokenSource(failed.Token))
                {
                    tick.CancelAfter(FollowInterval);
                    try
                    {
                        open = await reader.WaitToReadAsync(tick.Token);
                    }
                    catch (OperationCanceledException) when (!failed.IsCancellationRequested)
                    {
                        open = true;
                    }
                }
                if (!open) break;
                if (!Leading)
                {
                    if (_engine is not null) Logger.LogWarning("Judging stops here: this instance no longer leads");
                    _engine = null;
                    while (reader.TryRead(out _)) { }
                    continue;
                }
                try
                {
                    if (_engine is null) StartJudging();
                    using var slow = SlowStep.Watch(Logger, "judging", SlowStepThreshold);
                    if (reader.TryRead(out var stored)) Judge(stored);
                    else if (CatchUp(long.MaxValue, long.MaxValue) > 0) Save();
                }
                catch (CursorMovedException e)
                {
                    // Another instance judged meanwhile (this one lost its lock and has not noticed yet): what this engine
                    // held is dropped unsaved; the leader has judged those records.
                    Logger.LogError("Judging stops here: {Reason}", e.Message);
                    _engine = null;
                }
            }
        }
        catch (OperationCanceledException) when (failed.IsCancellationRequested)
        {
            // Anything not judged yet is in the journal after the rules cursor: judged on the next start.
        }
        catch
        {
            await failed.CancelAsync();
            throw;
        }
    }

    /// <summary>Beats for this instance every second and, while it leads, reads the sessions of silent instances
    /// (<see cref="FleetInstances"/>) until they take them back.</summary>
    private async Task AdoptLoop(System.Threading.Channels.ChannelWriter<StoredBatch> toJudge, CancellationToken stop)
    {
        // One instance on SQLite: a write a second for nobody to read.
        if (instances is not { Shared: true }) return;
        await Task.Yield();
        var self = options.Value.ClientId;
        var adopted = new Dictionary<string, (Task Reading, CancellationTokenSource Stop)>(StringComparer.Ordinal);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    instances.Beat(self);
                    foreach (var (peer, (_, done)) in adopted.Where(p => p.Value.Reading.IsCompleted).ToList())
                    {
                        done.Dispose();
                        adopted.Remove(peer);
                    }
                    if (Leading)
                        foreach (var peer in instances.Silent(self).Where(p => !adopted.ContainsKey(p)))
                        {
                            var end = CancellationTokenSource.CreateLinkedTokenSource(stop);
                            adopted[peer] = (ReadAdopted(peer, toJudge, end.Token), end);
                        }
                    else
                        foreach (var (_, (_, end)) in adopted) await end.CancelAsync();
                }
                catch (Exception e) when (e is System.Data.Common.DbException or TimeoutException or InvalidOperationException)
                {
                    Logger.LogWarning("Cannot beat or look for silent fleet instances ({Reason}); trying again", e.Message);
                }
                await Task.Delay(FleetLeadership.Interval, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var (_, (reading, end)) in adopted)
            {
                await end.CancelAsync();
                await reading;
                end.Dispose();
            }
        }
    }

    /// <summary>Reads a silent instance's session like this instance's own, until the instance takes it back (the broker
    /// then drops this connection), this one stops leading, or the stage stops.</summary>
    private async Task ReadAdopted(string peer, System.Threading.Channels.ChannelWriter<StoredBatch> toJudge, CancellationToken stop)
    {
        try
        {
            Logger.LogWarning("Fleet instance {Peer} is silent: reading its MQTT sessions until it is back", peer);
            using var lateStop = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var late = ReceiveBackfill(lateStop.Token, peer);
            try
            {
                await Receive(toJudge, stop, peer);
            }
            finally
            {
                await lateStop.CancelAsync();
                await ObserveBackfillEnd(late);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            Logger.LogWarning("Stopped reading the session of fleet instance {Peer}: {Reason}", peer, e.Message);
        }
        catch (Exception e)
        {
            // A store that failed acknowledged nothing: the session's owner gets those messages again.
            Logger.LogError(e, "Reading the session of fleet instance {Peer} failed", peer);
        }
    }

    /// <param name="adopted">A silent instance's client id, whose session this reads; null for this instance's own.</param>
    private async Task Receive(System.Threading.Channels.ChannelWriter<StoredBatch> toJudge, CancellationToken stop, string? adopted = null)
    {
        var o = options.Value;
        using var session = await OpenSession("", adopted, o.MaxBatch, Kinds, stop);
        if (adopted is null)
        {
            _session = session;
            counters.Ready = true;
        }

        var batch = new List<MqttApplicationMessageReceivedEventArgs>(o.MaxBatch);
        var live = new List<ReceivedMessage>(o.MaxBatch);
        var late = new List<(string Device, ReceivedMessage Message)>();
        while (!stop.IsCancellationRequested)
        {
            batch.Clear();
            try
            {
                batch.Add(await session.ReadAsync());
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            while (batch.Count < o.MaxBatch && session.TryRead(out var more)) batch.Add(more);
            using (SlowStep.Watch(Logger, "waiting for a backfill step to finish storing", SlowStepThreshold, batch.Count))
                await _storing.WaitAsync(stop);
            try
            {
                using var slow = SlowStep.Watch(Logger, "storing received messages (live, and backfill into its lane)", SlowStepThreshold, batch.Count);
                // A failure here (disk full, database gone) acknowledges nothing: the stage restarts (reading the
                // lane's counts again) and the broker sends the batch again.
                // The live part first: durable, it goes to the rules while the backfill part is written to its lane.
                Sort(batch, live, late);
                if (live.Count > 0)
                {
                    var stored = Handle(live);
                    influx.Enqueue(stored.Fresh);
                    await toJudge.WriteAsync(stored, stop);
                }
                backlog.Add(late, Clock.GetUtcNow());
                // Everything durable: acknowledged in arrival order.
                foreach (var message in batch) await message.AcknowledgeAsync(stop);
                if (late.Count > 0) _backlogAdded.Release();
            }
            finally
            {
                _storing.Release();
            }
        }
    }

    /// <summary>Reads this instance's backfill session; its failure ends the stage (which restarts), as the live session's does.</summary>
    private async Task ReadBackfillTopic(CancellationToken stop, CancellationTokenSource failed)
    {
        try
        {
            await ReceiveBackfill(stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch
        {
            await failed.CancelAsync();
            throw;
        }
    }

    private async Task ObserveBackfillEnd(Task late)
    {
        try
        {
            await late;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            Logger.LogWarning("Stopped reading an adopted backfill session: {Reason}", e.Message);
        }
    }

    /// <summary>
    /// Reads the backfill topic (<see cref="Topics.Backfill"/>) through a session of its own and writes each message as
    /// it came into the backfill lane, <see cref="FleetMqttOptions.BackfillReceiveBatch"/> at a time, acknowledging once
    /// durable; the lane's step later validates and stores them like any telemetry. A message that names no device is
    /// rejected here the usual way.
    /// </summary>
    /// <param name="adopted">A silent instance's client id, whose backfill session this reads; null for this instance's.</param>
    private async Task ReceiveBackfill(CancellationToken stop, string? adopted = null)
    {
        await Task.Yield();
        var o = options.Value;
        using var session = await OpenSession(BackfillSessionSuffix, adopted, o.BackfillReceiveBatch, [Topics.Backfill], stop);

        var batch = new List<MqttApplicationMessageReceivedEventArgs>(o.BackfillReceiveBatch);
        var late = new List<(string Device, ReceivedMessage Message)>();
        var unnamed = new List<ReceivedMessage>();
        while (!stop.IsCancellationRequested)
        {
            batch.Clear();
            late.Clear();
            unnamed.Clear();
            batch.Add(await session.ReadAsync());
            while (batch.Count < o.BackfillReceiveBatch && session.TryRead(out var more)) batch.Add(more);
            await _storing.WaitAsync(stop);
            try
            {
                using var slow = SlowStep.Watch(Logger, "writing the backfill topic's messages into the lane", SlowStepThreshold, batch.Count);
                foreach (var e in batch)
                {
                    var message = ReceivedMessage.From(e.ApplicationMessage);
                    if (Topics.TryParse(message.Topic, out var device, out _) && WireProtocol.DeviceId().IsMatch(device)) ToLane(late, device, message);
                    else unnamed.Add(message);
                }
                if (unnamed.Count > 0) Handle(unnamed);
                backlog.Add(late, Clock.GetUtcNow());
                foreach (var message in batch) await message.AcknowledgeAsync(stop);
                if (late.Count > 0) _backlogAdded.Release();
            }
            finally
            {
                _storing.Release();
            }
        }
    }

    /// <summary>Splits a received batch into the live lane and the backfill lane: telemetry with a record sent late from
    /// the device's store, and every telemetry message of a device that has messages waiting in the lane (so each device's
    /// records reach the journal in the order it sent them). Events and statuses are small and always live.</summary>
    private void Sort(List<MqttApplicationMessageReceivedEventArgs> batch, List<ReceivedMessage> live, List<(string, ReceivedMessage)> late)
    {
        live.Clear();
        late.Clear();
        foreach (var e in batch)
        {
            var message = ReceivedMessage.From(e.ApplicationMessage);
            if (Topics.TryParse(message.Topic, out var device, out var kind) && kind == Topics.Telemetry && WireProtocol.DeviceId().IsMatch(device)
                && (_waiting.ContainsKey(device) || IngestBacklog.IsBackfill(message.Payload.Span)))
                ToLane(late, device, message);
            else live.Add(message);
        }
    }

    /// <summary>Puts a device's message in line for the backfill lane (written to it with its batch) and counts it as
    /// waiting, so the device's later telemetry follows it there.</summary>
    private void ToLane(List<(string Device, ReceivedMessage Message)> late, string device, ReceivedMessage message)
    {
        late.Add((device, message));
        _waiting[device] = _waiting.GetValueOrDefault(device) + 1;
        Interlocked.Increment(ref _waitingTotal);
    }

    /// <summary>Opens one of this instance's ingest sessions (<paramref name="suffix"/> on its client id), or that session of
    /// the silent instance <paramref name="adopted"/>, and subscribes it to the device topics <paramref name="kinds"/>
    /// (through the shared group when there is one). Persistent, so what the broker holds survives a restart.</summary>
    /// <param name="batch">Messages stored per transaction: the broker may send four batches' worth unacknowledged, since
    /// acks wait until a batch is durable and the broker would otherwise idle during every store.</param>
    private async Task<FleetSession> OpenSession(string suffix, string? adopted, int batch, IEnumerable<string> kinds, CancellationToken stop)
    {
        var o = options.Value;
        var session = await mqtt.OpenAsync(suffix, logger, stop, session => session
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)FleetInstances.SessionExpiry.TotalSeconds)
            .WithReceiveMaximum((ushort)Math.Clamp(batch * 4, 1, ushort.MaxValue)), clientId: adopted is null ? null : adopted + suffix);
        try
        {
            var prefix = string.IsNullOrEmpty(o.SharedGroup) ? "" : $"$share/{o.SharedGroup}/";
            await session.SubscribeAsync(kinds.Select(k => prefix + Topics.EveryDevice(k)), stop);
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Moves the backfill lane into the journal, oldest first, <see cref="FleetMqttOptions.BacklogBatch"/> messages
    /// per step, each step only when nothing received waits to be read and the judging has nothing queued: live batches go first. Each step stores like the live
    /// path (de-duplicated by dev+seq) and then deletes what it moved, so a crash between the two stores nothing twice.</summary>
    private async Task BackfillLoop(System.Threading.Channels.Channel<StoredBatch> toJudge, CancellationToken stop, CancellationTokenSource failed)
    {
        await Task.Yield();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (Interlocked.Read(ref _waitingTotal) == 0)
                {
                    await _backlogAdded.WaitAsync(stop);
                    continue;
                }
                // Live first: the broker's queue is emptied (a backfill message costs an insert there) and the judging has
                // nothing queued before a step moves backfill into the journal.
                while (toJudge.Reader.Count > 0 || _session?.Waiting > 0) await Task.Delay(5, stop);
                await _storing.WaitAsync(stop);
                try
                {
                    using var slow = SlowStep.Watch(Logger, "moving backfill from its lane into the journal", SlowStepThreshold, options.Value.BacklogBatch);
                    var entries = backlog.Oldest(options.Value.BacklogBatch);
                    if (entries.Count == 0)
                    {
                        _waiting.Clear();
                        Interlocked.Exchange(ref _waitingTotal, 0);
                        continue;
                    }
                    var fresh = new List<TelemetryRecord>();
                    var events = new List<DeviceEvent>();
                    // Read as of when each arrived (the parser's clock check, the records' received time): one store per arrival.
                    foreach (var run in entries.GroupBy(e => e.ReceivedAt))
                    {
                        var stored = Handle(run.Select(e => new ReceivedMessage(e.Topic, e.Payload)).ToList(), run.Key);
                        fresh.AddRange(stored.Fresh);
                        events.AddRange(stored.Events);
                    }
                    backlog.RemoveUpTo(entries[^1].Id);
                    foreach (var e in entries)
                        if (_waiting.TryGetValue(e.Device, out var n)) { if (n <= 1) _waiting.Remove(e.Device); else _waiting[e.Device] = n - 1; }
                    Interlocked.Add(ref _waitingTotal, -entries.Count);
                    Interlocked.Add(ref _moved, entries.Count);
                    influx.Enqueue(fresh);
                    await toJudge.Writer.WriteAsync(new StoredBatch(fresh, events), stop);
                }
                finally
                {
                    _storing.Release();
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // What was not moved stays in the lane for the next start.
        }
        catch
        {
            await failed.CancelAsync();
            throw;
        }
    }

    /// <summary>One message from the broker as the ingest reads it: the topic and the payload.</summary>
    internal readonly record struct ReceivedMessage(string Topic, ReadOnlyMemory<byte> Payload)
    {
        /// <summary>MQTTnet hands the payload over in one segment (its own copy); a split one is joined.</summary>
        public static ReceivedMessage From(MqttApplicationMessage m) =>
            new(m.Topic, m.Payload.IsSingleSegment ? m.Payload.First : System.Buffers.BuffersExtensions.ToArray(m.Payload));
    }

    /// <summary>What a batch added: new records in row order and new events (with fleet entries such as conflicts).</summary>
    internal sealed record StoredBatch(IReadOnlyList<TelemetryRecord> Fresh, IReadOnlyList<DeviceEvent> Events);

    /// <summary>Validates and stores one batch, read as of <paramref name="receivedAt"/> (now by default); returns only
    /// once it is durable.</summary>
    internal StoredBatch Handle(IReadOnlyList<ReceivedMessage> batch, DateTimeOffset? receivedAt = null)
    {
        var now = receivedAt ?? Clock.GetUtcNow();
        var accepted = new List<AcceptedTelemetry>();
        var rejections = new List<Rejection>();
        var events = new List<DeviceEvent>();
        var statuses = new List<DeviceStatus>();
        var refused = 0;
        foreach (var message in batch)
        {
            string? device = null;
            try
            {
                if (!Topics.TryParse(message.Topic, out device, out var kind))
                    throw new RejectedMessageException("topic is not iot/v1/{device}/{kind}");
                if (!_limits.TryTake(device, kind, out var firstRefusal))
                {
                    refused++;
                    if (!firstRefusal) continue;
                    throw new RejectedMessageException($"over the device's rate limit for {kind} messages; further ones are counted, not sampled");
                }
                var payload = message.Payload.Span;
                switch (kind)
                {
                    case Topics.Telemetry:
                    case Topics.Backfill:
                        var envelope = MessageParser.ParseTelemetry(device, payload, now);
                        var proof = evidenceKeys.Verify(device, payload, envelope.Mac is not null);
                        accepted.Add(new AcceptedTelemetry(message.Topic, message.Payload.ToArray(), envelope, registry.SiteOf(device)?.Id) { Proof = proof });
                        break;
                    case Topics.Event:
                        events.Add(MessageParser.ParseEvent(device, payload, now));
                        break;
                    case Topics.Status:
                        statuses.Add(MessageParser.ParseStatus(device, payload));
                        break;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Anything a message can cause is its own rejection; the parser's messages say why for engineers.
                var reason = e is RejectedMessageException ? e.Message
                    : e is ProofFailedException ? $"device proof failed: {e.Message}"
                    : $"could not be read ({e.GetType().Name}: {e.Message})";
                var known = device is { Length: > 0 } d && WireProtocol.DeviceId().IsMatch(d) ? d : null;
                rejections.Add(new Rejection(known, message.Topic, reason, MessageParser.Sample(message.Payload.Span), now));
                // A forged, altered or foreign envelope on a device's topic is an integrity alert, not only a sample.
                if (e is ProofFailedException && known is not null)
                    events.Add(new DeviceEvent(known, now.ToUnixTimeSeconds(), FleetEventTypes.ProofFailed, new System.Text.Json.Nodes.JsonObject
                    {
                        ["reason"] = e.Message,
                        ["sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(message.Payload.Span)),
                    }.ToJsonString()));
            }
        }
        var stored = journal.Store(accepted, rejections, events, statuses, now);
        counters.Count(accepted.Sum(a => a.Envelope.Records.Count), stored.Records.Count, rejections.Count + refused, stored.Conflicts);
        return new StoredBatch(stored.Records, stored.Events);
    }

    /// <summary>Judges a stored batch, after any earlier records and events the rules have not seen, and
    /// saves the leads together with the rules cursors.</summary>
    internal void Judge(StoredBatch stored)
    {
        if (_engine is null) StartJudging();
        CatchUp(stored.Fresh.Count > 0 ? stored.Fresh[0].RowId : long.MaxValue, stored.Events.Count > 0 ? stored.Events[0].Id : long.MaxValue);
        foreach (var record in stored.Fresh)
            if (record.RowId > _engine!.AppliedUpTo) Apply(record);
        foreach (var e in stored.Events)
            if (e.Id > _eventsAppliedUpTo) Apply(e);
        Save();
    }

    /// <summary>Applies one record; a record the engine cannot judge is logged and counted, and the others go on.</summary>
    private void Apply(TelemetryRecord record)
    {
        try
        {
            _engine!.Apply(record);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Health.Failed(JudgingStage, e);
            logger.LogError(e, "could not judge record {Device}/{Seq} (row {Row}); it stays stored, the others are judged", record.Device, record.Seq, record.RowId);
        }
    }

    private void Apply(DeviceEvent e)
    {
        try
        {
            if (e.Type == "tamper") _engine!.ApplyTamperEvent(e.Device, e.Time);
            else if (e.Type == FleetEventTypes.SeqConflict) _engine!.ApplyConflict(e.Device, e.Time);
            else if (e.Type == FleetEventTypes.ProofFailed) _engine!.ApplyProofFailure(e.Device, e.Time);
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            Health.Failed(JudgingStage, error);
            logger.LogError(error, "could not judge event {Id} of {Device}; it stays stored", e.Id, e.Device);
        }
        _eventsAppliedUpTo = e.Id;
    }

    /// <summary>Applies journal records and events the rules have not seen, below the given ids: after a crash, the
    /// ones stored but not judged; on the leader, also those other instances stored. Returns how many it applied.</summary>
    private int CatchUp(long beforeRowId, long beforeEventId)
    {
        var applied = 0;
        while (true)
        {
            var pending = journal.ReadAfter(_engine!.AppliedUpTo, 5000, beforeRowId);
            foreach (var record in pending) Apply(record);
            applied += pending.Count;
            if (pending.Count < 5000) break;
            Save();
        }
        while (true)
        {
            var pending = journal.EventsAfter(_eventsAppliedUpTo, 5000, beforeEventId);
            foreach (var e in pending) Apply(e);
            applied += pending.Count;
            if (pending.Count < 5000) break;
            Save();
        }
        return applied;
    }

    private void Save()
    {
        var engine = _engine!;
        var created = leads.Save(engine.TakeChanges(), engine.AppliedUpTo, _eventsAppliedUpTo, previous: (_savedRules, _savedEvents));
        (_savedRules, _savedEvents) = (engine.AppliedUpTo, _eventsAppliedUpTo);
        counters.OnLeadsCreated(created);
    }

    /// <summary>At the start of the stage or of a term as leader: a fresh engine from the saved cursors, and records and
    /// events stored but not judged yet (before a crash, or by other instances) judged now.</summary>
    private void StartJudging()
    {
        _engine = new RuleEngine(registry, journal, leads, Clock);
        _savedRules = journal.Cursor(LeadStore.RulesCursor);
        _savedEvents = journal.Cursor(LeadStore.EventsCursor);
        _engine.ResumeAfter(_savedRules);
        _eventsAppliedUpTo = _savedEvents;
        CatchUp(long.MaxValue, long.MaxValue);
        Save();
    }
}

/// <summary>What the ingest has done, for health checks, tests and benchmarks.</summary>
public sealed class IngestCounters
{
    private long _received, _stored, _rejected, _conflicts, _leads;

    /// <summary>True once subscribed.</summary>
    public bool Ready { get; set; }
    public long RecordsReceived => Interlocked.Read(ref _received);
    public long RecordsStored => Interlocked.Read(ref _stored);
    public long MessagesRejected => Interlocked.Read(ref _rejected);

    /// <summary>Records whose (dev, seq) was stored before with other content; kept aside, never judged.</summary>
    public long RecordConflicts => Interlocked.Read(ref _conflicts);
    public long LeadsRaised => Interlocked.Read(ref _leads);


    internal void Count(long received, long stored, long rejected, long conflicts)
    {
        Interlocked.Add(ref _conflicts, conflicts);
        Interlocked.Add(ref _received, received);
        Interlocked.Add(ref _stored, stored);
        Interlocked.Add(ref _rejected, rejected);
    }

    internal void OnLeadsCreated(IReadOnlyList<Lead> created)
    {
        if (created.Count == 0) return;
        Interlocked.Add(ref _leads, created.Count);
    }
}
