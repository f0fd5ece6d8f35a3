using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Iot.Hj212;

namespace Iot.Stack;

/// <summary>A third-party HJ 212 monitor (dust, noise …) for tests and the `./iot up` demo: holds one TCP connection to the receiver, logs in
/// with every frame by MN and PW, sends 2011/2051 frames with given values and waits for the platform's 9014 (or
/// 9011 refusal). Platform commands it receives (2051 history, 1011, 1012) are answered 9011 Ready and kept in
/// <see cref="Commands"/> for the test.</summary>
public sealed class SimulatedMonitor : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly Hj212Framer _framer = new();
    private readonly Channel<Hj212Packet> _answers = Channel.CreateUnbounded<Hj212Packet>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;
    private readonly SemaphoreSlim _writing = new(1, 1);
    private long _qn;

    private SimulatedMonitor(TcpClient client, string mn, string password, string st, Hj212Version version)
    {
        _client = client;
        _stream = client.GetStream();
        Mn = mn;
        Password = password;
        St = st;
        Version = version;
        _reading = Task.Run(Read);
    }

    public string Mn { get; }
    public string Password { get; set; }
    public string St { get; }
    public Hj212Version Version { get; }
    /// <summary>Commands the platform sent this monitor.</summary>
    public List<Hj212Packet> Commands { get; } = [];
    /// <summary>How far the monitor's clock is off (answers 1011 with it; 1012 sets it right).</summary>
    public TimeSpan ClockOffset { get; set; }
    /// <summary>The minutes the monitor keeps, sent again when the platform asks (2051 with BeginTime/EndTime).</summary>
    public Func<DateTimeOffset, DateTimeOffset, IEnumerable<Hj212Packet>>? History { get; set; }

    /// <summary>How it frames: <c>Hj212Dialect.Default with { CpCipher = … }</c> makes a 2025 monitor that encrypts the CP of its
    /// uploads (CN 2000-2999, §6.4) and reads the platform's encrypted commands.</summary>
    public Hj212Dialect Dialect { get; set; } = Hj212Dialect.Default;

    /// <summary>Connects (retrying while the receiver starts).</summary>
    public static async Task<SimulatedMonitor> Connect(int port, string mn, string password, string st = Hj212Systems.AirQuality,
        Hj212Version version = Hj212Version.V2017, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var client = new TcpClient();
            try
            {
                await client.ConnectAsync("127.0.0.1", port);
                return new SimulatedMonitor(client, mn, password, st, version);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                client.Dispose();
                await Task.Delay(100);
            }
        }
    }

    /// <summary>A data upload of one window: each factor with its fields (e.g. ("a34002", [("Avg","0.210"),("Flag","N")])).</summary>
    public Hj212Packet Data(string cn, DateTimeOffset dataTime, bool resent = false, params (string Factor, (string Suffix, string Value)[] Fields)[] factors)
    {
        var qnTime = dataTime.AddMinutes(1).AddMilliseconds(Interlocked.Increment(ref _qn) % 1000);
        return Hj212Builder.Upload(cn, St, Mn, Password, dataTime, qnTime, factors.Select(f => (f.Factor, (IEnumerable<(string, string)>)f.Fields)),
            Version, replyRequested: true, resent: resent);
    }

    /// <summary>Sends a minute record (2051) and returns the platform's answer to it (9014 = stored; 9011 = refused), or null.</summary>
    public Task<Hj212Packet?> SendMinute(DateTimeOffset dataTime, params (string Factor, (string Suffix, string Value)[] Fields)[] factors) =>
        Send(Data(Hj212Commands.MinuteData, dataTime, false, factors));

    /// <summary>Sends a packet as a frame and waits for the answer carrying its QN.</summary>
    public async Task<Hj212Packet?> Send(Hj212Packet packet, int seconds = 15)
    {
        await SendRaw(Encoding.UTF8.GetBytes(Frame(packet)));
        return await Answer(packet.Qn, seconds);
    }

    /// <summary>Bytes exactly as given: broken frames, garbage, pieces of frames.</summary>
    public async Task SendRaw(byte[] bytes)
    {
        await _writing.WaitAsync();
        try { await _stream.WriteAsync(bytes); }
        finally { _writing.Release(); }
    }

    /// <summary>The next answer (9014/9011/9012) with this QN, or null after the timeout.</summary>
    public async Task<Hj212Packet?> Answer(string? qn, int seconds = 15)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            while (true)
            {
                var answer = await _answers.Reader.ReadAsync(timeout.Token);
                if (qn is null || answer.Qn == qn) return answer;
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    private async Task Read()
    {
        var buffer = new byte[4096];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                int n = await _stream.ReadAsync(buffer, _stop.Token);
                if (n == 0) break;
                foreach (var f in _framer.Feed(buffer.AsSpan(0, n)))
                {
                    if (!f.IsFrame || Hj212Parser.Parse(f.Frame!, Dialect) is not { Ok: true, Packet: { } p }) continue;
                    if (p.Cn is Hj212Commands.DataAck or Hj212Commands.RequestAnswer or Hj212Commands.ExecutionResult) _answers.Writer.TryWrite(p);
                    else
                    {
                        lock (Commands) Commands.Add(p);
                        await Obey(p);
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
        finally
        {
            _answers.Writer.TryComplete();
        }
    }

    /// <summary>A platform command: 9011, what it asks for, 9012 (as HJ 212 §command flow).</summary>
    private async Task Obey(Hj212Packet command)
    {
        async Task Reply(Hj212Packet p) => await SendRaw(Encoding.UTF8.GetBytes(Frame(p)));
        if (command.ReplyRequested) await Reply(Hj212Builder.RequestAnswer(command, Hj212QnRtn.Ready));
        var offset = Hj212Time.ChinaOffset;
        switch (command.Cn)
        {
            case Hj212Commands.GetTime:
                await Reply(new Hj212Packet
                {
                    Qn = command.Qn, St = St, Cn = Hj212Commands.GetTime, Pw = Password, Mn = Mn, Flag = Hj212Flag.Of(Version),
                    Cp = Hj212Builder.Cp("SystemTime=" + Hj212Time.Format(DateTimeOffset.UtcNow + ClockOffset, offset)),
                });
                break;
            case Hj212Commands.SetTime when Hj212Time.TryParse(command.Cp["SystemTime"], offset, out var set):
                ClockOffset = set - DateTimeOffset.UtcNow;
                break;
            case Hj212Commands.MinuteData when History is not null
                && Hj212Time.TryParse(command.Cp["BeginTime"], offset, out var begin) && Hj212Time.TryParse(command.Cp["EndTime"], offset, out var end):
                foreach (var p in History(begin, end)) await Reply(p);
                break;
        }
        await Reply(Hj212Builder.ExecutionResult(command, Hj212ExeRtn.Success));
    }

    /// <summary>A packet on the wire: §6.4 encrypts the CP of CN 2000-2999 (uploads), not of answers.</summary>
    private string Frame(Hj212Packet packet) =>
        Hj212Builder.Frame(packet, packet.Cn is [ '2', _, _, _ ] ? Dialect : null);

    /// <summary>True while the platform keeps the connection open.</summary>
    public bool Connected => !_reading.IsCompleted;

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _client.Dispose();
        try { await _reading; } catch { }
        _stop.Dispose();
    }
}
