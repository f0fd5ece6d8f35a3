namespace Iot.Hj212;

/// <summary>What the framer found in the stream: a frame (<c>##</c> … LF, not yet checked) or bytes it threw away, with why.</summary>
public readonly record struct Hj212Framed(byte[]? Frame, int Discarded, string? Problem)
{
    public bool IsFrame => Frame is not null;
}

/// <summary>Splits a TCP stream into frames: copes with split and merged reads and garbage between frames.
/// Frames end at LF (CR LF on the wire), not at the declared length: 2025 encrypted CPs are longer on the wire
/// than the length says. A frame cut short by a new <c>##</c> is discarded up to that <c>##</c>.</summary>
public sealed class Hj212Framer
{
    readonly int maxFrameBytes;
    byte[] buffer = new byte[1024];
    int count;

    /// <param name="maxFrameBytes">Longest frame kept before it is thrown away (default: the longest segment 4 digits allow).</param>
    public Hj212Framer(int maxFrameBytes = Hj212Frame.MaxSegment + Hj212Frame.Overhead)
    {
        this.maxFrameBytes = maxFrameBytes;
    }

    /// <summary>Bytes waiting for the rest of a frame.</summary>
    public int Pending => count;

    public IReadOnlyList<Hj212Framed> Feed(ReadOnlySpan<byte> data)
    {
        var output = new List<Hj212Framed>();
        Feed(data, output);
        return output;
    }

    public void Feed(ReadOnlySpan<byte> data, List<Hj212Framed> output)
    {
        while (data.Length > 0)
        {
            // Never hold more than one frame's worth: take what fits, frame it, go on.
            int room = Math.Max(0, maxFrameBytes + 2 - count);
            if (room == 0) { Drain(output, force: true); continue; }
            var take = data[..Math.Min(room, data.Length)];
            Append(take);
            data = data[take.Length..];
            Drain(output, force: false);
        }
    }

    void Append(ReadOnlySpan<byte> data)
    {
        if (count + data.Length > buffer.Length)
            Array.Resize(ref buffer, Math.Max(buffer.Length * 2, count + data.Length));
        data.CopyTo(buffer.AsSpan(count));
        count += data.Length;
    }

    void Drain(List<Hj212Framed> output, bool force)
    {
        while (count > 0)
        {
            var span = buffer.AsSpan(0, count);
            int start = span.IndexOf("##"u8);
            if (start < 0)
            {
                // Keep a trailing '#': it may be the first half of a header.
                int keep = span[^1] == (byte)'#' ? 1 : 0;
                Discard(count - keep, "garbage between frames", output);
                return;
            }
            if (start > 0) { Discard(start, "garbage between frames", output); continue; }
            int end = span.IndexOf((byte)'\n');
            if (end < 0)
            {
                if (count > maxFrameBytes || force)
                {
                    int next = span[2..].IndexOf("##"u8);
                    Discard(next < 0 ? count : next + 2, $"no end of frame within {maxFrameBytes} bytes", output);
                    continue;
                }
                return;
            }
            // A frame cut short and followed by a new one: the last "##" before the LF starts the real frame.
            int last = span[..end].LastIndexOf("##"u8);
            if (last > 0) { Discard(last, "frame cut short by the next one", output); continue; }
            if (end + 1 > maxFrameBytes) { Discard(end + 1, $"frame longer than {maxFrameBytes} bytes", output); continue; }
            output.Add(new Hj212Framed(span[..(end + 1)].ToArray(), 0, null));
            Remove(end + 1);
        }
    }

    void Discard(int n, string why, List<Hj212Framed> output)
    {
        if (n <= 0) return;
        output.Add(new Hj212Framed(null, n, why));
        Remove(n);
    }

    void Remove(int n)
    {
        Buffer.BlockCopy(buffer, n, buffer, 0, count - n);
        count -= n;
    }
}
