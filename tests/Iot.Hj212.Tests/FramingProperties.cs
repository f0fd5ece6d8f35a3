using System.Text;

namespace Iot.Hj212.Tests;

public class FramingProperties
{
    static string SegmentFrom(string raw, int i)
    {
        // Random CP text, without the characters that delimit frames or fields.
        var text = new string((raw ?? "").Where(c => c is >= ' ' and <= '~' and not '#' and not '&' and not ';' and not ',' and not '=').ToArray());
        if (text.Length > 3000) text = text[..3000];
        return $"QN=2026031510310{i % 10}123;ST=22;CN=2051;PW=123456;MN=0A1B2C3D4E5F00000000000{i % 10};Flag=5;CP=&&DataTime=20260315103000;x-Note={text}&&";
    }

    [Fact]
    public void Random_segments_in_random_reads_with_garbage_between_come_out_whole_and_in_order()
    {
        Prop.ForAll<string[], byte[][], int[]>((raws, garbage, cuts) =>
        {
            raws ??= [];
            var segments = raws.Select(SegmentFrom).ToList();
            var stream = new List<byte>();
            for (int i = 0; i < segments.Count; i++)
            {
                // Garbage without '#': bytes that cannot start a frame (a '#' could merge with the next header).
                if (garbage is { Length: > 0 } && garbage[i % garbage.Length] is { } g) stream.AddRange(g.Where(b => b != (byte)'#'));
                stream.AddRange(Hj212Frame.WrapBytes(segments[i]));
            }
            var bytes = stream.ToArray();
            var framer = new Hj212Framer();
            var got = new List<string>();
            int at = 0, k = 0;
            while (at < bytes.Length)
            {
                int n = cuts is { Length: > 0 } ? 1 + Math.Abs(cuts[k++ % cuts.Length] % 700) : bytes.Length;
                n = Math.Min(n, bytes.Length - at);
                foreach (var f in framer.Feed(bytes.AsSpan(at, n)))
                    if (f.IsFrame && Hj212Parser.Parse(f.Frame!) is { Ok: true } r) got.Add(r.Packet!.Segment);
                at += n;
            }
            return got.SequenceEqual(segments);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Any_bytes_never_throw_and_never_grow_the_buffer_past_a_frame()
    {
        Prop.ForAll<byte[][]>(chunks =>
        {
            var framer = new Hj212Framer(maxFrameBytes: 300);
            foreach (var c in chunks ?? [])
            {
                foreach (var f in framer.Feed(c ?? []))
                    if (f.IsFrame) _ = Hj212Parser.Parse(f.Frame!);
                if (framer.Pending > 302) return false;
            }
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Every_one_bit_change_in_a_segment_is_caught()
    {
        Prop.ForAll<int, int>((pos, bit) =>
        {
            var bytes = Encoding.ASCII.GetBytes(CodecTests.Dust2051);
            int i = 6 + Math.Abs(pos % (bytes.Length - 12));
            bytes[i] ^= (byte)(1 << Math.Abs(bit % 7));
            if (bytes[i] is (byte)'\n') return true;
            return !Hj212Parser.Parse(bytes).Ok;
        }).QuickCheckThrowOnFailure();
    }
}
