using Iot.Gateway.Particulate;

namespace Iot.Firmware.Tests;

public class Pms5003ParserTests
{
    /// <summary>A valid frame with the given atmospheric PM1.0/PM2.5/PM10 (CF=1 values differ on purpose).</summary>
    internal static byte[] Frame(int pm1, int pm25, int pm10)
    {
        var words = new[] { pm1 + 1, pm25 + 2, pm10 + 3, pm1, pm25, pm10, 3000, 900, 200, 40, 10, 2, 0 };
        var frame = new byte[32];
        frame[0] = 0x42;
        frame[1] = 0x4D;
        frame[3] = 28;
        for (int i = 0; i < 13; i++)
        {
            frame[4 + 2 * i] = (byte)(words[i] >> 8);
            frame[5 + 2 * i] = (byte)words[i];
        }
        int sum = frame.Take(30).Sum(b => b);
        frame[30] = (byte)(sum >> 8);
        frame[31] = (byte)sum;
        return frame;
    }

    private static List<(int, int, int)> Feed(Pms5003Parser parser, IEnumerable<byte> bytes)
    {
        var found = new List<(int, int, int)>();
        foreach (var b in bytes)
        {
            if (parser.Push(b)) found.Add((parser.Pm1Atmospheric, parser.Pm25Atmospheric, parser.Pm10Atmospheric));
        }
        return found;
    }

    [Fact]
    public void Parses_atmospheric_values_of_a_valid_frame()
    {
        var parser = new Pms5003Parser();
        Assert.Equal([(12, 35, 410)], Feed(parser, Frame(12, 35, 410)));
    }

    [Fact]
    public void Rejects_a_bad_checksum_and_recovers_on_the_next_frame()
    {
        var bad = Frame(1, 2, 3);
        bad[10] ^= 0x40;
        var parser = new Pms5003Parser();

        var found = Feed(parser, bad.Concat(Frame(4, 5, 6)));

        Assert.Equal([(4, 5, 6)], found);
        Assert.Equal(1, parser.RejectedFrames);
    }

    [Fact]
    public void Finds_a_frame_hidden_behind_a_false_header()
    {
        // 0x42 0x4D 0x00 0x1C looks like a header, then the real frame starts inside the "payload".
        var stream = new byte[] { 0x00, 0x42, 0x42, 0x4D, 0x00, 0x1C, 0x42 }.Concat(Frame(7, 8, 9)).ToArray();
        Assert.Equal([(7, 8, 9)], Feed(new Pms5003Parser(), stream));
    }

    [Fact]
    public void Random_garbage_never_throws_and_real_frames_come_out_in_order()
    {
        Prop.ForAll<byte[][], (ushort, ushort, ushort)[]>((garbage, values) =>
        {
            var stream = new List<byte>();
            var expected = new List<(int, int, int)>();
            for (int i = 0; i < values.Length; i++)
            {
                if (garbage.Length > 0 && garbage[i % garbage.Length] is { } g) stream.AddRange(g);
                var (a, b, c) = values[i];
                stream.AddRange(Frame(a % 1000, b % 1000, c % 1000));
                expected.Add((a % 1000, b % 1000, c % 1000));
            }
            if (garbage.Length > 0 && garbage[0] is { } tail) stream.AddRange(tail);
            return Feed(new Pms5003Parser(), stream).SequenceEqual(expected);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Pure_garbage_yields_nothing()
    {
        Prop.ForAll<byte[]>(garbage =>
        {
            // Strip anything that could start a header so that no valid frame can exist in the input.
            var bytes = (garbage ?? []).Where(b => b != 0x42).ToArray();
            return Feed(new Pms5003Parser(), bytes).Count == 0;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Parsing_allocates_nothing()
    {
        var parser = new Pms5003Parser();
        var stream = Frame(1, 2, 3).Concat(new byte[] { 0x42, 0x00, 0x13 }).Concat(Frame(4, 5, 6)).ToArray();
        parser.Push(stream, 0, stream.Length);

        long before = GC.GetAllocatedBytesForCurrentThread();
        int frames = parser.Push(stream, 0, stream.Length);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(2, frames);
    }
}
