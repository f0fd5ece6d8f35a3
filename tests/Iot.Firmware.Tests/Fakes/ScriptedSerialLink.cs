using Iot.Gateway.Hardware;

namespace Iot.Firmware.Tests.Fakes;

/// <summary>
/// A serial line whose slave answers from a script: each request written queues the next scripted reply
/// (null = silence). A read that finds nothing advances the clock by its timeout, like a real wait.
/// </summary>
public sealed class ScriptedSerialLink(FakeClock clock, int baudRate = 9600) : ISerialLink
{
    private readonly Queue<byte[]?> _replies = new();
    private readonly Queue<byte> _pending = new();

    public int BaudRate { get; } = baudRate;
    public List<byte[]> Requests { get; } = [];
    public List<long> WriteTimesMs { get; } = [];

    /// <summary>Bytes delivered per Read call, to exercise reassembly of a frame from pieces.</summary>
    public int ChunkSize { get; set; } = int.MaxValue;

    public void Reply(byte[]? frame) => _replies.Enqueue(frame);

    public void DiscardInput() => _pending.Clear();

    public void Write(byte[] buffer, int offset, int count)
    {
        Requests.Add(buffer.AsSpan(offset, count).ToArray());
        WriteTimesMs.Add(clock.MonotonicMs);
        if (_replies.Count > 0 && _replies.Dequeue() is { } reply)
        {
            foreach (var b in reply) _pending.Enqueue(b);
        }
    }

    public int Read(byte[] buffer, int offset, int count, int timeoutMs)
    {
        if (_pending.Count == 0)
        {
            clock.MonotonicMs += timeoutMs;
            return 0;
        }
        int n = 0;
        while (n < count && n < ChunkSize && _pending.Count > 0) buffer[offset + n++] = _pending.Dequeue();
        clock.MonotonicMs += 1;
        return n;
    }
}
