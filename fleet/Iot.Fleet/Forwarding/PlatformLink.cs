using System.Collections.Concurrent;
using System.Net.Sockets;
using Iot.Hj212;

namespace Iot.Fleet.Forwarding;

/// <summary>
/// The one outbound TCP connection of a site's MN to its platform. It sends the queue's frames one at a time, each with
/// reply wanted, and waits OverTime for its 9014 (matched by QN), re-sending it ReCount times; then the frame is kept for later and the
/// next goes. A lost connection is opened again with backoff (1 s doubling to a minute). It also answers what the
/// platform asks: history (2051/2061 with BeginTime/EndTime: the stored frames again), 1011 (our clock) and 1012
/// (acknowledged; the fleet keeps its clock by NTP).
/// </summary>
public sealed class PlatformLink(string site, ReportingSite reporting, PlatformOptions platform, PlatformQueue queue, TimeProvider clock, ILogger logger)
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1), LongestDelay = TimeSpan.FromMinutes(1), Idle = TimeSpan.FromMilliseconds(500);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiting = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly Hj212Version _version = platform.Version == 2025 ? Hj212Version.V2025 : Hj212Version.V2017;

    public string Site => site;
    public string Mn => reporting.Mn;

    /// <summary>True while the connection is open.</summary>
    public bool Connected { get; private set; }

    public async Task RunAsync(CancellationToken stop)
    {
        var delay = FirstDelay;
        var failing = false;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var tcp = new TcpClient { NoDelay = true };
                using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(stop))
                {
                    connecting.CancelAfter(TimeSpan.FromSeconds(10));
                    await tcp.ConnectAsync(platform.Host, platform.Port, connecting.Token);
                }
                Connected = true;
                delay = FirstDelay;
                if (failing) logger.LogInformation("HJ 212: {Mn} ({Site}) connected to {Host}:{Port} again", Mn, site, platform.Host, platform.Port);
                failing = false;
                await Session(tcp.GetStream(), stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                if (!failing) logger.LogWarning("HJ 212: {Mn} ({Site}) to {Host}:{Port}: {Reason}; frames wait in the queue", Mn, site, platform.Host, platform.Port, e.Message);
                failing = true;
            }
            finally
            {
                Connected = false;
                foreach (var waiting in _waiting.Values) waiting.TrySetCanceled();
                _waiting.Clear();
            }
            await Task.Delay(delay, clock, stop).ContinueWith(_ => { }, TaskScheduler.Default);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestDelay.Ticks));
        }
    }

    /// <summary>Sends frames while reading what the platform says; ends (throws) when either side of the connection ends.</summary>
    private async Task Session(NetworkStream stream, CancellationToken stop)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var reading = Task.Run(async () =>
        {
            try { await Read(stream, session.Token); }
            finally { await session.CancelAsync(); }
        }, CancellationToken.None);
        try
        {
            while (!session.IsCancellationRequested)
            {
                if (queue.Next(Mn) is not { } frame)
                {
                    await Task.Delay(Idle, clock, session.Token);
                    continue;
                }
                if (!await Deliver(stream, frame, session.Token)) queue.Postpone(frame, platform.ReCount + 1);
            }
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            // The platform closed the connection (the reader ended): connect again.
        }
        await reading.ContinueWith(_ => { }, TaskScheduler.Default);
        if (!stop.IsCancellationRequested) throw new IOException("the platform closed the connection");
    }

    /// <summary>Sends a frame, and again up to ReCount times (HJ 212's 重发次数), each waiting OverTime for its 9014; true once acknowledged.</summary>
    private async Task<bool> Deliver(NetworkStream stream, QueuedFrame frame, CancellationToken stop)
    {
        for (var attempt = 0; attempt <= platform.ReCount; attempt++)
        {
            var acked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting[frame.Qn] = acked;
            try
            {
                // Sent before (now or in an earlier round): a re-send, RF=1 under 2025.
                await Send(stream, Packet(frame, resent: frame.Sends + attempt > 0), stop);
                queue.Sent(frame.Id);
                var done = await Task.WhenAny(acked.Task, Task.Delay(TimeSpan.FromSeconds(platform.OverTimeSeconds), clock, stop));
                if (done == acked.Task && acked.Task.IsCompletedSuccessfully) return true;
                stop.ThrowIfCancellationRequested();
            }
            finally
            {
                _waiting.TryRemove(frame.Qn, out _);
            }
        }
        return false;
    }

    /// <summary>The upload of a stored frame: its fixed QN, CN and CP under this platform's ST, PW and version.</summary>
    private Hj212Packet Packet(QueuedFrame frame, bool resent) => new()
    {
        Qn = frame.Qn, St = platform.St, Cn = frame.Cn, Pw = platform.Pw, Mn = frame.Mn,
        Flag = Hj212Flag.Of(_version, replyRequested: true), Resent = resent && _version >= Hj212Version.V2025, Cp = Hj212Cp.Parse(frame.Cp),
    };

    private async Task Send(NetworkStream stream, Hj212Packet packet, CancellationToken stop)
    {
        var bytes = Hj212Frame.WrapBytes(Hj212Builder.Segment(packet));
        await _write.WaitAsync(stop);
        try { await stream.WriteAsync(bytes, stop); }
        finally { _write.Release(); }
    }

    private async Task Read(NetworkStream stream, CancellationToken stop)
    {
        var framer = new Hj212Framer();
        var buffer = new byte[4096];
        var frames = new List<Hj212Framed>();
        while (!stop.IsCancellationRequested)
        {
            var n = await stream.ReadAsync(buffer, stop);
            if (n == 0) return;
            frames.Clear();
            framer.Feed(buffer.AsSpan(0, n), frames);
            foreach (var framed in frames)
            {
                if (framed.Frame is not { } bytes) continue;
                var parsed = Hj212Parser.Parse(bytes);
                if (!parsed.Ok || parsed.Packet is not { } packet)
                {
                    logger.LogWarning("HJ 212: {Mn}: the platform sent a frame we cannot read: {Reason}", Mn, parsed.Problem?.Reason);
                    continue;
                }
                await Answer(stream, packet, stop);
            }
        }
    }

    /// <summary>What the platform said: an acknowledgement, or a request to answer.</summary>
    private async Task Answer(NetworkStream stream, Hj212Packet packet, CancellationToken stop)
    {
        if (packet.Mn is { } mn && mn != Mn) return;
        switch (packet.Cn)
        {
            case Hj212Commands.DataAck:
                if (packet.Qn is { } qn)
                {
                    queue.Acknowledged(Mn, qn);
                    if (_waiting.TryGetValue(qn, out var waiting)) waiting.TrySetResult();
                }
                break;
            case Hj212Commands.GetTime:
                await Send(stream, Reply(packet, Hj212Commands.RequestAnswer, "QnRtn=" + (int)Hj212QnRtn.Ready), stop);
                await Send(stream, packet with
                {
                    St = platform.St, Pw = platform.Pw, Flag = Hj212Flag.Of(_version), Cp = Hj212Cp.Parse("SystemTime=" + Hj212Time.Format(clock.GetUtcNow(), Hj212Time.ChinaOffset)),
                }, stop);
                await Send(stream, Reply(packet, Hj212Commands.ExecutionResult, "ExeRtn=" + (int)Hj212ExeRtn.Success), stop);
                break;
            case Hj212Commands.SetTime:
                await Send(stream, Reply(packet, Hj212Commands.RequestAnswer, "QnRtn=" + (int)Hj212QnRtn.Ready), stop);
                await Send(stream, Reply(packet, Hj212Commands.ExecutionResult, "ExeRtn=" + (int)Hj212ExeRtn.Success), stop);
                break;
            case Hj212Commands.MinuteData or Hj212Commands.HourData or Hj212Commands.DayData:
                await History(stream, packet, stop);
                break;
            default:
                if (packet.ReplyRequested) await Send(stream, Reply(packet, Hj212Commands.RequestAnswer, "QnRtn=" + (int)Hj212QnRtn.Refused), stop);
                break;
        }
    }

    /// <summary>A history request: 9011, the stored frames of that CN with DataTime in [BeginTime, EndTime] again (a re-send,
    /// the same frames; we store minute frames only), then 9012 (100: no data).</summary>
    private async Task History(NetworkStream stream, Hj212Packet request, CancellationToken stop)
    {
        if (!Hj212Time.TryParse(request.Cp["BeginTime"], Hj212Time.ChinaOffset, out var begin) || !Hj212Time.TryParse(request.Cp["EndTime"], Hj212Time.ChinaOffset, out var end))
        {
            await Send(stream, Reply(request, Hj212Commands.RequestAnswer, "QnRtn=" + (int)Hj212QnRtn.Refused), stop);
            return;
        }
        await Send(stream, Reply(request, Hj212Commands.RequestAnswer, "QnRtn=" + (int)Hj212QnRtn.Ready), stop);
        var frames = queue.Between(Mn, request.Cn!, begin.ToUnixTimeSeconds(), end.ToUnixTimeSeconds());
        foreach (var frame in frames)
        {
            await Send(stream, Packet(frame, resent: true), stop);
            queue.Sent(frame.Id);
        }
        await Send(stream, Reply(request, Hj212Commands.ExecutionResult, "ExeRtn=" + (int)(frames.Count > 0 ? Hj212ExeRtn.Success : Hj212ExeRtn.NoData)), stop);
    }

    /// <summary>A 9011/9012 to a platform request: its QN, our ST 91 system code, reply flag (no reply wanted).</summary>
    private Hj212Packet Reply(Hj212Packet request, string cn, string cp) => new()
    {
        Qn = request.Qn, St = Hj212Systems.System, Cn = cn, Pw = platform.Pw, Mn = Mn, Flag = Hj212Flag.Of(_version), Cp = Hj212Cp.Parse(cp),
    };
}
