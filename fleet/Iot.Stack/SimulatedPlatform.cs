using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Iot.Hj212;

namespace Iot.Stack;

/// <summary>
/// An environmental platform for tests and the `./iot up` demo (the forwarder reports to it): a TCP server that frames and parses HJ 212, keeps data frames the way real
/// platforms do (the first of each (MN, CN, DataTime); later ones are counted as duplicates), answers 9014 to uploads
/// that want a reply, and, on command, refuses (stores nothing, answers nothing) or drops its connections.
/// </summary>
public sealed class SimulatedPlatform : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, (TcpClient Client, string? Mn)> _connections = new();
    private readonly ConcurrentDictionary<(string Mn, string Cn, string DataTime), Hj212Packet> _kept = new();
    private readonly ConcurrentQueue<Hj212Packet> _received = new();
    private int _next;

    public SimulatedPlatform()
    {
        _listener.Start();
        _ = Task.Run(Accept);
    }

    public string Host => "127.0.0.1";
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>While true, data frames are neither kept nor acknowledged (a platform that is busy or refuses).</summary>
    public bool Refusing { get; set; }

    /// <summary>While true, connections are closed as soon as they are accepted.</summary>
    public bool Closing { get; set; }

    /// <summary>Every good frame received, in order (data, replies and answers alike).</summary>
    public IReadOnlyList<Hj212Packet> Received => _received.ToArray();

    /// <summary>The data the platform kept: the first frame of each (MN, CN, DataTime).</summary>
    public IReadOnlyDictionary<(string Mn, string Cn, string DataTime), Hj212Packet> Kept => _kept;

    /// <summary>Data frames received again for an (MN, CN, DataTime) already kept.</summary>
    public int Duplicates => _duplicates;
    private int _duplicates;

    /// <summary>Frames that failed to parse (should stay 0).</summary>
    public int Broken => _broken;
    private int _broken;

    /// <summary>Open connections now.</summary>
    public int Connections => _connections.Count;

    /// <summary>Closes every open connection (the forwarder must connect again).</summary>
    public void DropConnections()
    {
        foreach (var (id, c) in _connections)
        {
            c.Client.Close();
            _connections.TryRemove(id, out _);
        }
    }

    /// <summary>Sends a command (e.g. a history request) on the connection of <paramref name="mn"/>.</summary>
    public async Task SendAsync(string mn, Hj212Packet command)
    {
        var (client, _) = _connections.Values.First(c => c.Mn == mn);
        await client.GetStream().WriteAsync(Hj212Frame.WrapBytes(Hj212Builder.Segment(command)));
    }

    private async Task Accept()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            if (Closing)
            {
                client.Close();
                continue;
            }
            var id = Interlocked.Increment(ref _next);
            _connections[id] = (client, null);
            _ = Task.Run(() => Serve(id, client));
        }
    }

    private async Task Serve(int id, TcpClient client)
    {
        var framer = new Hj212Framer();
        var buffer = new byte[4096];
        var frames = new List<Hj212Framed>();
        try
        {
            var stream = client.GetStream();
            while (!_stop.IsCancellationRequested)
            {
                var n = await stream.ReadAsync(buffer, _stop.Token);
                if (n == 0) break;
                frames.Clear();
                framer.Feed(buffer.AsSpan(0, n), frames);
                foreach (var framed in frames.Where(f => f.IsFrame))
                {
                    var parsed = Hj212Parser.Parse(framed.Frame!);
                    if (!parsed.Ok)
                    {
                        Interlocked.Increment(ref _broken);
                        continue;
                    }
                    var packet = parsed.Packet!;
                    _connections[id] = (client, packet.Mn);
                    _received.Enqueue(packet);
                    if (!Hj212Commands.IsData(packet.Cn) || Refusing) continue;
                    if (!_kept.TryAdd((packet.Mn!, packet.Cn!, packet.Cp.DataTime ?? ""), packet)) Interlocked.Increment(ref _duplicates);
                    if (packet.ReplyRequested) await stream.WriteAsync(Hj212Frame.WrapBytes(Hj212Builder.Segment(Hj212Builder.DataAck(packet))), _stop.Token);
                }
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested || !client.Connected)
        {
        }
        catch (IOException)
        {
        }
        finally
        {
            _connections.TryRemove(id, out _);
            client.Close();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        DropConnections();
        _stop.Dispose();
    }
}
