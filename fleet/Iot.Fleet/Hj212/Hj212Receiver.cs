using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Iot.Fleet.Health;
using Iot.Fleet.Ingest;
using Iot.Fleet.Registry;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;
using Iot.Hj212;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Hj212;

/// <summary>A monitor's connection as engineers see it (GET /api/hj212/connections).</summary>
public sealed record Hj212ConnectionView(string Remote, string? Mn, string? Device, DateTimeOffset Since, long Frames, long Rejected, long Records,
    double? ClockDriftSeconds, bool ClockUnsynced, long GapsFetched, bool ClockSet = false);

/// <summary>
/// The HJ 212 receiver: a TCP listener where third-party monitors hold one long connection each. Every connection has
/// its own framer, rate limit and limits, so a monitor that sends garbage, huge or false frames only harms itself.
/// A data frame from a registered MN with the right PW becomes a record on wire protocol v1 (validated by the same
/// <see cref="MessageParser"/>), stored, judged and kept as evidence by the MQTT ingest's own path with the raw frame as
/// its message; only then is it answered 9014. Anything else is a rejection (/api/rejections) and, when it can be
/// addressed, a 9011 with the reason's QnRtn.
/// </summary>
public sealed class Hj212Receiver(
    IOptions<Hj212Options> options,
    Hj212Monitors monitors,
    Hj212Profiles profiles,
    SiteRegistry registry,
    TelemetryIngest ingest,
    FleetHealth health,
    TimeProvider clock,
    ILogger<Hj212Receiver> logger) : SupervisedService(health, logger, clock)
{
    public const string ReceiverStage = "hj212";
    /// <summary>Topic of HJ 212 messages and rejections in the fleet's tables: hj212/{MN}/{CN}.</summary>
    public const string TopicRoot = "hj212";

    // The connections read these through their owner (a primary constructor's parameters are not theirs).
    private Hj212Options Options { get; } = options.Value;
    private Hj212Monitors Monitors { get; } = monitors;
    private Hj212Profiles Profiles { get; } = profiles;
    private SiteRegistry Registry { get; } = registry;
    private TelemetryIngest Ingest { get; } = ingest;
    private readonly ConcurrentDictionary<Connection, byte> _connections = new();
    private readonly ConcurrentDictionary<string, Connection> _byMn = new(StringComparer.Ordinal);

    protected override string Stage => ReceiverStage;

    public IReadOnlyList<Hj212ConnectionView> Connections() =>
        _connections.Keys.Select(c => new Hj212ConnectionView(c.Remote, c.Mn, c.Device, c.Since, c.Frames, c.Rejected, c.Records, c.ClockDriftSeconds, c.ClockUnsynced, c.GapsFetched, c.ClockSet)).ToList();

    protected override async Task RunAsync(CancellationToken stop)
    {
        var o = Options;
        var listener = new TcpListener(IPAddress.Parse(o.Address), o.Port);
        listener.Start();
        Logger.LogInformation("HJ 212 receiver listening on {Address}:{Port}", o.Address, o.Port);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var socket = await listener.AcceptTcpClientAsync(stop);
                if (_connections.Count >= o.MaxConnections)
                {
                    Logger.LogWarning("HJ 212: {Count} connections open, refusing {Remote}", _connections.Count, socket.Client.RemoteEndPoint);
                    socket.Dispose();
                    continue;
                }
                var connection = new Connection(this, socket, Clock.GetUtcNow());
                _connections[connection] = 0;
                _ = Task.Run(async () =>
                {
                    try { await connection.Serve(stop); }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        // One monitor's trouble ends its own connection, never the listener.
                        Logger.LogInformation("HJ 212 connection {Remote} ended: {Reason}", connection.Remote, e.Message);
                    }
                    finally
                    {
                        _connections.TryRemove(connection, out _);
                        if (connection.Mn is { } mn) _byMn.TryRemove(new KeyValuePair<string, Connection>(mn, connection));
                        socket.Dispose();
                    }
                }, CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            listener.Stop();
            foreach (var c in _connections.Keys) c.Close();
        }
    }

    private sealed class Connection(Hj212Receiver owner, TcpClient socket, DateTimeOffset since)
    {
        private readonly Hj212Framer _framer = new(owner.Options.MaxFrameBytes);
        private readonly Hj212Reassembler _parts = new();
        private readonly SemaphoreSlim _writing = new(1, 1);
        private double _tokens = owner.Options.FrameBurst;
        private long _tokensAt = owner.Clock.GetTimestamp();
        private bool _refusing;
        private int _sampled;
        private long _sampleMinute;
        private long _garbage;
        private NetworkStream? _stream;

        public string Remote { get; } = socket.Client.RemoteEndPoint?.ToString() ?? "?";
        public DateTimeOffset Since { get; } = since;
        public string? Mn { get; private set; }
        public string? Device { get; private set; }
        public long Frames, Rejected, Records, GapsFetched;
        public double? ClockDriftSeconds { get; private set; }
        /// <summary>The monitor's clock was found off by more than Hj212:MaxClockDriftSeconds and not yet set right:
        /// its records carry the clock-not-synchronised bit (not evidence).</summary>
        public bool ClockUnsynced { get; private set; }
        /// <summary>The monitor confirmed the time it was sent (9012 after 1012); the drift stays as it was read.</summary>
        public bool ClockSet { get; private set; }

        // The platform's own commands in flight, by QN: a history fetch (2051 BeginTime/EndTime), a clock read and set.
        private string? _fetchQn, _timeQn, _setQn;
        private DateTimeOffset _fetchSentAt;
        private long? _latestMinute;
        private string? _st, _pw;
        private Hj212Monitor? _monitor;
        private Hj212Version _version = Hj212Version.V2017;

        public void Close() => socket.Dispose();

        public async Task Serve(CancellationToken stop)
        {
            var o = owner.Options;
            _stream = socket.GetStream();
            var buffer = new byte[4096];
            var framed = new List<Hj212Framed>();
            while (!stop.IsCancellationRequested)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(stop);
                // Until a frame proves the MN and PW, a connection gets only LoginSeconds: idle sockets are not free.
                idle.CancelAfter(TimeSpan.FromSeconds(Mn is null ? Math.Min(o.LoginSeconds, o.IdleSeconds) : o.IdleSeconds));
                int n = await _stream.ReadAsync(buffer, idle.Token);
                if (n == 0) return;
                framed.Clear();
                _framer.Feed(buffer.AsSpan(0, n), framed);
                foreach (var item in framed)
                {
                    if (!item.IsFrame)
                    {
                        _garbage += item.Discarded;
                        if (_garbage > o.MaxGarbageBytes)
                        {
                            await Reject(null, Encoding.ASCII.GetBytes($"({_garbage} bytes without a frame)"), $"over {o.MaxGarbageBytes} bytes that are no frame; connection closed", stop);
                            return;
                        }
                        continue;
                    }
                    Interlocked.Increment(ref Frames);
                    if (!TakeToken())
                    {
                        if (!_refusing) await Reject(null, item.Frame!, $"over the connection's rate limit ({o.FramesPerSecond}/s); further frames are dropped unanswered", stop);
                        _refusing = true;
                        continue;
                    }
                    _refusing = false;
                    await Handle(item.Frame!, stop);
                }
            }
        }

        private bool TakeToken()
        {
            var o = owner.Options;
            if (o.FramesPerSecond <= 0) return true;
            var now = owner.Clock.GetTimestamp();
            _tokens = Math.Min(o.FrameBurst, _tokens + owner.Clock.GetElapsedTime(_tokensAt, now).TotalSeconds * o.FramesPerSecond);
            _tokensAt = now;
            if (_tokens < 1) return false;
            _tokens -= 1;
            return true;
        }

        private async Task Handle(byte[] frame, CancellationToken stop)
        {
            var first = Hj212Parser.Parse(frame);
            var packet = first.Packet;
            // The monitor's profile decides the dialect (time offset, reply version), and its own SM4 key (or the profile's) once
            // its MN is known: the header is never encrypted, so a second reading with the key can check an encrypted CP.
            var monitor = packet?.Mn is { } mn ? owner.Monitors.ByMn(mn) : null;
            var profile = owner.Profiles.Find(monitor?.Profile ?? "default") ?? owner.Profiles.Find("default")!;
            var dialect = monitor?.DialectIn(profile) ?? profile.Dialect;
            if (dialect.CpCipher is not null)
            {
                first = Hj212Parser.Parse(frame, dialect);
                packet = first.Packet;
            }
            if (first.Problem is { } problem)
            {
                await Reject(monitor?.Device, frame, problem.Reason, stop, packet, problem.QnRtn, dialect);
                return;
            }
            _garbage = 0;
            if (monitor is null)
            {
                await Reject(null, frame, $"unknown MN {packet!.Mn}: register it (POST /api/devices, protocol hj212)", stop, packet, Hj212QnRtn.MnError, dialect);
                return;
            }
            if (!monitor.PasswordMatches(packet!.Pw))
            {
                await Reject(monitor.Device, frame, "PW does not match the monitor's password", stop, packet, Hj212QnRtn.PasswordError, dialect);
                return;
            }
            if (Mn is null)
            {
                Mn = monitor.Mn;
                Device = monitor.Device;
                _monitor = monitor;
                // A gap spans connections: the minutes between the last one stored and the first one on this connection are
                // fetched like a gap within one (a monitor that was cut off for an hour does not always resend on its own).
                _latestMinute = owner.Monitors.LatestMinute(monitor.Device);
                // One long connection per monitor: a reconnect replaces the old one, which the monitor has given up.
                if (owner._byMn.TryGetValue(Mn, out var old) && old != this) old.Close();
                owner._byMn[Mn] = this;
                _st = packet.St;
                _pw = packet.Pw;
                _version = packet.Version == Hj212Version.V2005 ? Hj212Version.V2017 : packet.Version;
                if (owner.Options.MaxClockDriftSeconds > 0) await AskTime(stop);
            }
            else if (Mn != monitor.Mn)
            {
                await Reject(monitor.Device, frame, $"MN {monitor.Mn} on a connection that logged in as {Mn}", stop, packet, Hj212QnRtn.MnError, dialect);
                return;
            }

            switch (packet.Cn)
            {
                case var cn when Hj212Commands.IsData(cn):
                    var whole = _parts.Add(packet, owner.Clock.GetUtcNow());
                    if (whole is null) return; // a part of a split packet: the whole one is answered
                    var (stored, time) = await Store(monitor, profile, whole, frame, stop);
                    if (stored && whole.ReplyRequested)
                        await Send(Hj212Builder.DataAck(whole, dialect), stop);
                    if (stored && time is { } t && whole.Cn == Hj212Commands.MinuteData) await FetchGap(t, profile, stop);
                    return;
                case Hj212Commands.GetTime:
                    await ClockAnswered(packet, profile, stop);
                    return;
                case Hj212Commands.RequestAnswer or Hj212Commands.ExecutionResult:
                    CommandAnswered(packet);
                    return;
                case Hj212Commands.DataAck:
                    return;
                default:
                    await Reject(monitor.Device, frame, $"CN {packet.Cn} is not one this receiver handles", stop, packet, Hj212QnRtn.CnError, dialect);
                    return;
            }
        }

        /// <summary>The packet's window as a record through the ingest's own path; true once stored (or already stored).</summary>
        /// <summary>After a stored minute: when minutes are missing since the latest one, ask the monitor for them
        /// (2051 with BeginTime/EndTime; it answers 9011, the minutes, then 9012). One fetch at a time.</summary>
        private async Task FetchGap(long time, Hj212Profile profile, CancellationToken stop)
        {
            var o = owner.Options;
            var latest = _latestMinute;
            _latestMinute = Math.Max(latest ?? time, time);
            if (latest is not { } last || time - last <= 60 || time - last > o.MaxGapFetchHours * 3600L || o.MaxGapFetchHours <= 0) return;
            var now = owner.Clock.GetUtcNow();
            if (_fetchQn is not null && now - _fetchSentAt < TimeSpan.FromMinutes(5)) return;
            var fetch = Hj212Builder.HistoryRequest(Hj212Commands.MinuteData, Mn!, _pw, _st ?? Hj212Systems.AirQuality,
                DateTimeOffset.FromUnixTimeSeconds(last + 60), DateTimeOffset.FromUnixTimeSeconds(time - 60), now, Dialect(profile));
            (_fetchQn, _fetchSentAt) = (fetch.Qn, now);
            Interlocked.Increment(ref GapsFetched);
            owner.Logger.LogInformation("HJ 212 {Mn}: minutes {From}..{To} missing, asked for them", Mn, last + 60, time - 60);
            await Send(fetch, stop, Dialect(profile)); // a 2051: encrypted when the monitor (or its profile) has a key
        }

        private Hj212Dialect Dialect(Hj212Profile profile) => (_monitor?.DialectIn(profile) ?? profile.Dialect) with { CommandVersion = _version };

        private async Task AskTime(CancellationToken stop)
        {
            var profile = owner.Profiles.Find(_monitor?.Profile ?? "default") ?? owner.Profiles.Find("default")!;
            var ask = Hj212Builder.GetTime(Mn!, _pw, _st ?? Hj212Systems.AirQuality, owner.Clock.GetUtcNow(), Dialect(profile));
            _timeQn = ask.Qn;
            await Send(ask, stop);
        }

        /// <summary>The monitor's answer to 1011: its clock. Off by more than the limit: set it (1012), and until it
        /// confirms (9012), its records are marked clock-not-synchronised.</summary>
        private async Task ClockAnswered(Hj212Packet packet, Hj212Profile profile, CancellationToken stop)
        {
            if (packet.Qn != _timeQn || !Hj212Time.TryParse(packet.Cp["SystemTime"], profile.Offset, out var theirs)) return;
            _timeQn = null;
            var now = owner.Clock.GetUtcNow();
            ClockDriftSeconds = (theirs - now).TotalSeconds;
            if (Math.Abs(ClockDriftSeconds.Value) <= owner.Options.MaxClockDriftSeconds) return;
            ClockUnsynced = true;
            owner.Logger.LogWarning("HJ 212 {Mn}: clock off by {Drift:F0} s, setting it", Mn, ClockDriftSeconds);
            var set = Hj212Builder.SetTime(Mn!, _pw, _st ?? Hj212Systems.AirQuality, now, now, Dialect(profile));
            _setQn = set.Qn;
            await Send(set, stop); // §6.4 encrypts CN 2000-2999 (and 1014, 3020), not 1012
        }

        private void CommandAnswered(Hj212Packet packet)
        {
            if (packet.Qn is null) return;
            if (packet.Qn == _setQn && packet.Cn == Hj212Commands.ExecutionResult)
            {
                _setQn = null;
                if (packet.Cp["ExeRtn"] == "1") (ClockUnsynced, ClockSet) = (false, true);
            }
            else if (packet.Qn == _fetchQn)
            {
                // 9011 refused, or 9012: the fetch is over either way; a later gap asks again.
                if (packet.Cn == Hj212Commands.ExecutionResult || packet.Cp["QnRtn"] != "1") _fetchQn = null;
                owner.Logger.LogInformation("HJ 212 {Mn}: history fetch answered {Cn} {Cp}", Mn, packet.Cn, packet.Cp.Text);
            }
        }

        private async Task<(bool Stored, long? Time)> Store(Hj212Monitor monitor, Hj212Profile profile, Hj212Packet packet, byte[] frame, CancellationToken stop)
        {
            var topic = $"{TopicRoot}/{monitor.Mn}/{packet.Cn}";
            if (!(profile.RecordCommands ?? [Hj212Commands.MinuteData]).Contains(packet.Cn!)) return (true, null); // acknowledged, not a record source
            var now = owner.Clock.GetUtcNow();
            var reading = Hj212Profiles.Read(packet, profile, out var why);
            if (reading is null)
            {
                await Reject(monitor.Device, frame, why!, stop);
                return (true, null); // a well-formed frame the profile cannot use: sending it again would not help
            }
            var envelope = new JsonObject
            {
                ["v"] = 1,
                ["dev"] = monitor.Device,
                ["recs"] = new JsonArray(new JsonObject
                {
                    ["seq"] = Hj212Profiles.SeqOf(packet.Cn!, reading.Time),
                    ["t"] = reading.Time,
                    ["dur"] = reading.Duration,
                    ["q"] = reading.Quality | (ClockUnsynced ? Iot.Contract.QualityBits.ClockUnsynced : 0),
                    ["m"] = new JsonObject(reading.Measurements.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)JsonValue.Create(Math.Round(m.Value, 6))))),
                }),
            };
            TelemetryEnvelope parsed;
            try
            {
                // The same checks as a gateway's message: time range, channel names, plausible values.
                parsed = MessageParser.ParseTelemetry(monitor.Device, Encoding.UTF8.GetBytes(envelope.ToJsonString()), now);
            }
            catch (RejectedMessageException e)
            {
                await Reject(monitor.Device, frame, e.Message, stop);
                return (true, null);
            }
            var accepted = new AcceptedTelemetry(topic, frame, parsed, owner.Registry.SiteOf(monitor.Device)?.Id) { Proof = new MessageProof(ProofStatus.Hj212Password) };
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            try
            {
                await owner.Ingest.StoreForeignAsync([accepted], [], timeout.Token);
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                // Not stored in time (the ingest is restarting): no 9014, so the monitor sends it again.
                owner.Logger.LogWarning("HJ 212 {Mn}: frame not stored within 30 s; not acknowledged", monitor.Mn);
                return (false, null);
            }
            Interlocked.Increment(ref Records);
            return (true, reading.Time);
        }

        /// <summary>Records a rejection (sampled per minute), then answers 9011 when the frame can be addressed: what the
        /// monitor is told has been recorded first, as a 9014 follows storage.</summary>
        private async Task Reject(string? device, byte[] frame, string reason, CancellationToken stop,
            Hj212Packet? packet = null, Hj212QnRtn? answer = null, Hj212Dialect? dialect = null)
        {
            Interlocked.Increment(ref Rejected);
            var minute = owner.Clock.GetUtcNow().ToUnixTimeSeconds() / 60;
            if (minute != _sampleMinute) (_sampleMinute, _sampled) = (minute, 0);
            if (++_sampled <= owner.Options.RejectionsPerMinute)
            {
                var topic = $"{TopicRoot}/{packet?.Mn ?? Mn ?? "?"}/{packet?.Cn ?? "?"}";
                var rejection = new Rejection(device ?? Device, topic, $"HJ 212 from {Remote}: {reason}", MessageParser.Sample(frame), owner.Clock.GetUtcNow());
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                try { await owner.Ingest.StoreForeignAsync([], [rejection], timeout.Token); }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested) { }
            }
            if (packet is { Qn: not null, Mn: not null } && answer is { } rtn)
                await Send(Hj212Builder.RequestAnswer(packet, rtn, dialect), stop);
        }

        private async Task Send(Hj212Packet packet, CancellationToken stop, Hj212Dialect? dialect = null)
        {
            var bytes = Encoding.UTF8.GetBytes(Hj212Builder.Frame(packet, dialect));
            await _writing.WaitAsync(stop);
            try
            {
                await _stream!.WriteAsync(bytes, stop);
            }
            finally
            {
                _writing.Release();
            }
        }
    }
}
