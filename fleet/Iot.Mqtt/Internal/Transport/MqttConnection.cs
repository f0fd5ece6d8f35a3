using System.Net.Sockets;
using Iot.Mqtt.Internal.Formatter;
using Iot.Mqtt.Internal.Packets;

namespace Iot.Mqtt.Internal.Transport;

/// <summary>One network connection: a read loop that decodes packets, a write loop that sends
/// everything queued since its last write in one socket write, and keep-alive. No thread of its own.
/// Protocol state (sessions, acknowledgements) belongs to <see cref="MqttClient"/>.</summary>
internal sealed class MqttConnection
{
    // Small first buffers: thousands of mostly idle clients share one process. They grow with bursts.
    private const int InitialReadBufferSize = 2048;
    private const int InitialWriteBufferSize = 1024;

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly Lock _sync;
    private readonly MqttPacketDecoder _decoder;
    private readonly Func<MqttConnection, MqttPacket, ValueTask> _onPacket;
    private readonly Action<MqttConnection, Exception?> _onClosed;
    private readonly CancellationTokenSource _cts = new();
    private readonly TaskCompletionSource<ConnAckPacket> _connAck = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _writeSignal = new(0, 1);

    // Guarded by _sync: callers append packets to _pending; the write loop swaps it with _writing.
    private byte[] _pending = new byte[InitialWriteBufferSize];
    private int _pendingLength;
    private byte[] _writing = new byte[InitialWriteBufferSize];
    private bool _writeSignalled;
    private long _bytesQueued;

    private long _bytesWritten;
    private long _lastSent = Environment.TickCount64;
    private long _lastReceived = Environment.TickCount64;
    private long _pingSentAt;
    private volatile bool _readerParked;
    private int _closed;

    public MqttConnection(Socket socket, Stream stream, Lock sync, MqttProtocolVersion version, int maximumIncomingPacketSize,
        Func<MqttConnection, MqttPacket, ValueTask> onPacket, Action<MqttConnection, Exception?> onClosed)
    {
        _socket = socket;
        _stream = stream;
        _sync = sync;
        Version = version;
        _decoder = new MqttPacketDecoder(version, maximumIncomingPacketSize);
        _onPacket = onPacket;
        _onClosed = onClosed;
    }

    public MqttProtocolVersion Version { get; }

    /// <summary>The broker's CONNACK; fails if the connection ends first.</summary>
    public Task<ConnAckPacket> ConnAck => _connAck.Task;

    /// <summary>Set by the client once CONNACK accepted the connection.</summary>
    public bool Established { get; set; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Why the connection ended; null when it was closed on purpose.</summary>
    public Exception? CloseError { get; private set; }

    /// <summary>The reason code of the broker's DISCONNECT, if it sent one.</summary>
    public MqttReasonCode? ServerDisconnectReason { get; set; }

    /// <summary>Received QoS 1 messages in arrival order, until their PUBACK is sent. Guarded by the client's lock.</summary>
    public Queue<MqttMessage> PendingAcknowledgements { get; } = new();

    public void Start()
    {
        _ = ReadLoopAsync();
        _ = WriteLoopAsync();
    }

    /// <summary>Queues a packet for the write loop. Caller holds the client's lock.</summary>
    public void Write(MqttPacket packet)
    {
        var size = MqttPacketEncoder.GetSize(packet, Version);
        MqttPacketEncoder.Encode(packet, Version, Reserve(size));
        Commit(size);
    }

    /// <summary>Queues a PUBLISH without building a packet object. Caller holds the client's lock.</summary>
    public void WritePublish(string topic, ReadOnlySpan<byte> payload, MqttQualityOfService qos, bool retain, bool dup, ushort packetId, int size)
    {
        var written = MqttPacketEncoder.EncodePublish(Reserve(size), topic, payload, qos, retain, dup, packetId, null, Version);
        Commit(written);
    }

    /// <summary>Queues a PUBACK. Caller holds the client's lock.</summary>
    public void WritePubAck(ushort packetId, MqttReasonCode reasonCode)
    {
        MqttPacketEncoder.EncodePubAck(Reserve(5), packetId, reasonCode, Version, out var length);
        Commit(length);
    }

    private Span<byte> Reserve(int size)
    {
        if (_pending.Length - _pendingLength < size)
        {
            var bigger = new byte[Math.Max(_pending.Length * 2, _pendingLength + size)];
            _pending.AsSpan(0, _pendingLength).CopyTo(bigger);
            _pending = bigger;
        }
        return _pending.AsSpan(_pendingLength, size);
    }

    private void Commit(int length)
    {
        _pendingLength += length;
        _bytesQueued += length;
        if (!_writeSignalled)
        {
            _writeSignalled = true;
            _writeSignal.Release();
        }
    }

    /// <summary>Waits until everything queued so far reached the socket (or the connection ended).</summary>
    public async Task FlushAsync(TimeSpan timeout)
    {
        long target;
        lock (_sync) target = _bytesQueued;
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Interlocked.Read(ref _bytesWritten) < target && !IsClosed && Environment.TickCount64 < deadline)
            await Task.Delay(5).ConfigureAwait(false);
    }

    /// <summary>Flushes what is queued (e.g. a DISCONNECT), then closes the socket in an orderly way.</summary>
    public async Task CloseAsync(TimeSpan flushTimeout)
    {
        await FlushAsync(flushTimeout).ConfigureAwait(false);
        Abort(null);
    }

    /// <summary>Ends the connection now, without a DISCONNECT; idempotent. The TCP close is orderly so the
    /// bytes already written still reach the broker (a reset would let the kernel drop them).</summary>
    public void Abort(Exception? error)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        CloseError = error;
        _cts.Cancel();
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        _stream.Dispose();
        _socket.Dispose();
        _connAck.TrySetException(error ?? new MqttException("The connection closed before CONNACK."));
        _onClosed(this, error);
    }

    public void StartKeepAlive(TimeSpan keepAlive)
    {
        if (keepAlive > TimeSpan.Zero) _ = KeepAliveLoopAsync(keepAlive);
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[InitialReadBufferSize];
        int start = 0, end = 0;
        var token = _cts.Token;
        try
        {
            while (true)
            {
                int packetLength;
                while (true)
                {
                    var status = _decoder.TryDecode(buffer.AsSpan(start, end - start), out var packet, out var consumed, out packetLength);
                    if (status == MqttDecodeStatus.NeedMoreData) break;
                    start += consumed;
                    _lastReceived = Environment.TickCount64;
                    await HandleAsync(packet!).ConfigureAwait(false);
                }
                if (start == end) start = end = 0;
                var wanted = Math.Max(packetLength, end - start + 1);
                if (buffer.Length - start < wanted)
                {
                    var target = buffer.Length >= wanted ? buffer : new byte[Math.Max(wanted, buffer.Length * 2)];
                    buffer.AsSpan(start, end - start).CopyTo(target);
                    end -= start;
                    start = 0;
                    buffer = target;
                }
                var read = await _stream.ReadAsync(buffer.AsMemory(end), token).ConfigureAwait(false);
                if (read == 0)
                {
                    Abort(ServerDisconnectReason is { } reason
                        ? new MqttException($"The broker disconnected: {reason}.", reason)
                        : new MqttException("The broker closed the connection."));
                    return;
                }
                end += read;
            }
        }
        catch (MqttProtocolException e) when (!IsClosed)
        {
            // Tell a 5.0 broker why we hang up (e.g. 0x95 packet too large), then close.
            if (Version == MqttProtocolVersion.V500)
            {
                lock (_sync) Write(new DisconnectPacket { ReasonCode = e.ReasonCode ?? MqttReasonCode.MalformedPacket });
                await FlushAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            }
            Abort(e);
        }
        catch (Exception e)
        {
            Abort(e is OperationCanceledException && IsClosed ? null : e);
        }
    }

    private ValueTask HandleAsync(MqttPacket packet)
    {
        if (!_connAck.Task.IsCompleted)
        {
            if (packet is not ConnAckPacket connAck)
                throw new MqttProtocolException($"The broker sent {packet.Type} before CONNACK.", MqttReasonCode.ProtocolError);
            _connAck.TrySetResult(connAck);
            return ValueTask.CompletedTask;
        }
        switch (packet)
        {
            case PingRespPacket:
                Volatile.Write(ref _pingSentAt, 0);
                return ValueTask.CompletedTask;
            case DisconnectPacket disconnect:
                ServerDisconnectReason = disconnect.ReasonCode;
                throw new MqttException($"The broker disconnected: {disconnect.ReasonCode}{(disconnect.Properties?.ReasonString is { } s ? $" ({s})" : "")}.", disconnect.ReasonCode);
        }
        var handled = _onPacket(this, packet);
        return handled.IsCompletedSuccessfully ? ValueTask.CompletedTask : ParkAsync(handled);
    }

    // The application's buffer is full: reading waits, and keep-alive must not call that a dead broker.
    private async ValueTask ParkAsync(ValueTask handled)
    {
        _readerParked = true;
        try
        {
            await handled.ConfigureAwait(false);
        }
        finally
        {
            _readerParked = false;
            _lastReceived = Environment.TickCount64;
            if (Volatile.Read(ref _pingSentAt) != 0) Volatile.Write(ref _pingSentAt, Environment.TickCount64);
        }
    }

    private async Task WriteLoopAsync()
    {
        var token = _cts.Token;
        try
        {
            while (true)
            {
                await _writeSignal.WaitAsync(token).ConfigureAwait(false);
                byte[] buffer;
                int length;
                lock (_sync)
                {
                    _writeSignalled = false;
                    buffer = _pending;
                    length = _pendingLength;
                    _pending = _writing;
                    _pendingLength = 0;
                    _writing = buffer;
                }
                if (length == 0) continue;
                await _stream.WriteAsync(buffer.AsMemory(0, length), token).ConfigureAwait(false);
                Interlocked.Add(ref _bytesWritten, length);
                _lastSent = Environment.TickCount64;
                // Give a burst's big buffer back, so thousands of idle clients stay small.
                if (buffer.Length > 1 << 20) _writing = new byte[InitialWriteBufferSize];
            }
        }
        catch (Exception e)
        {
            Abort(e is OperationCanceledException && IsClosed ? null : e);
        }
    }

    // Send PINGREQ when either direction was quiet for half the keep-alive; a PINGREQ unanswered for a
    // whole keep-alive means the broker or the path is gone (a half-open TCP connection never errors).
    private async Task KeepAliveLoopAsync(TimeSpan keepAlive)
    {
        var period = (long)Math.Max(50, keepAlive.TotalMilliseconds / 2);
        var timeout = (long)keepAlive.TotalMilliseconds;
        try
        {
            while (!IsClosed)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(period / 2.0), _cts.Token).ConfigureAwait(false);
                var now = Environment.TickCount64;
                var pingSentAt = Volatile.Read(ref _pingSentAt);
                if (pingSentAt != 0)
                {
                    if (!_readerParked && now - pingSentAt > timeout)
                    {
                        Abort(new MqttException($"No PINGRESP within the keep-alive of {keepAlive.TotalSeconds:0.###} s: the connection is dead.", MqttReasonCode.KeepAliveTimeout));
                        return;
                    }
                }
                else if (now - _lastSent >= period || now - _lastReceived >= period)
                {
                    Volatile.Write(ref _pingSentAt, now);
                    lock (_sync) Write(PingReqPacket.Instance);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
