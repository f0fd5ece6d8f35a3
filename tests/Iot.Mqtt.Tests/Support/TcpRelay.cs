using System.Net;
using System.Net.Sockets;

namespace Iot.Mqtt.Tests.Support;

/// <summary>A loopback TCP relay in front of the broker: tests freeze it to simulate a half-open
/// connection (nothing arrives, nothing errors) or cut it to simulate a network failure.</summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _cts = new();
    private readonly List<(Socket Client, Socket Server)> _pairs = [];
    private volatile bool _frozen;

    public TcpRelay(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>While frozen, bytes in both directions are read and thrown away.</summary>
    public bool Frozen
    {
        get => _frozen;
        set => _frozen = value;
    }

    /// <summary>Closes every relayed connection, as a network failure would.</summary>
    public void Cut()
    {
        lock (_pairs)
        {
            foreach (var (client, server) in _pairs)
            {
                client.Dispose();
                server.Dispose();
            }
            _pairs.Clear();
        }
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptSocketAsync(_cts.Token);
                var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await server.ConnectAsync(IPAddress.Loopback, _targetPort, _cts.Token);
                client.NoDelay = true;
                lock (_pairs) _pairs.Add((client, server));
                _ = PumpAsync(client, server);
                _ = PumpAsync(server, client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16384];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, _cts.Token);
                if (read == 0) break;
                if (!_frozen) await to.SendAsync(buffer.AsMemory(0, read), _cts.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        // A frozen path passes nothing on, not even the end of the stream.
        if (_frozen) return;
        try { to.Shutdown(SocketShutdown.Send); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    public ValueTask DisposeAsync()
    {
        _cts.Cancel();
        _listener.Stop();
        Cut();
        _cts.Dispose();
        return ValueTask.CompletedTask;
    }
}
