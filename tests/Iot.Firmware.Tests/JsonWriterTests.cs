using System.Text.Json;
using System.Text;
using Iot.Contract;
using Iot.Gateway.Json;
using Iot.Gateway.Telemetry;

namespace Iot.Firmware.Tests;

public class JsonWriterTests
{
    private static string Text(JsonWriter w) => Encoding.UTF8.GetString(w.Buffer, 0, w.Length);

    [Theory]
    [InlineData(68.2, 1, "68.2")]
    [InlineData(68.25, 1, "68.3")]   // exactly representable: halves round away from zero
    [InlineData(0.05, 3, "0.05")]
    [InlineData(81.0, 1, "81")]
    [InlineData(-3.5, 1, "-3.5")]
    [InlineData(-0.01, 1, "0")]
    [InlineData(123456789.125, 3, "123456789.125")]
    [InlineData(1e-9, 3, "0")]
    [InlineData(1e12, 1, "1000000000000")]
    public void Numbers_are_fixed_point_without_exponent(double value, int decimals, string expected)
    {
        var w = new JsonWriter(new byte[64]);
        w.Number(value, decimals);
        Assert.Equal(expected, Text(w));
    }

    [Fact]
    public void Numbers_round_trip_for_random_values()
    {
        Prop.ForAll<int, int>((raw, decimals) =>
        {
            int d = Math.Abs(decimals % 4);
            double value = raw / Math.Pow(10, d);
            var w = new JsonWriter(new byte[64]);
            w.Number(value, d);
            var text = Text(w);
            return !text.Contains('E') && !text.Contains('e')
                && Math.Abs(double.Parse(text, System.Globalization.CultureInfo.InvariantCulture) - value) < 1e-9 * Math.Max(1, Math.Abs(value));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Strings_are_escaped_and_utf8_encoded()
    {
        var w = new JsonWriter(new byte[128]);
        w.BeginObject();
        w.Name("s");
        w.String("a\"b\\c\n µg/m³ 中");
        w.EndObject();
        Assert.Equal("a\"b\\c\n µg/m³ 中", JsonDocument.Parse(w.Buffer.AsMemory(0, w.Length)).RootElement.GetProperty("s").GetString());
    }

    [Fact]
    public void Envelope_matches_the_wire_protocol_example()
    {
        var record = new MinuteRecord { Seq = 1043, T = 1795000020, Dur = 60, Q = 0 };
        record.Set(Channel.Laeq, 68.2);
        record.Set(Channel.Lafmax, 81.0);
        var w = new JsonWriter(new byte[TelemetryEncoder.MaxBytes]);

        int n = TelemetryEncoder.WriteEnvelope(w, "NS-0001", "1.4.2", 17, [record], 0, 1, nowUtc: 1795000090);

        Assert.Equal(1, n);
        Assert.Equal("""{"v":1,"dev":"NS-0001","fw":"1.4.2","boot":17,"recs":[{"seq":1043,"t":1795000020,"dur":60,"q":0,"m":{"laeq":68.2,"lafmax":81}}]}""", Text(w));
    }

    [Fact]
    public void Envelope_stops_at_200_records_and_16_KiB_and_stays_valid_json()
    {
        var records = Enumerable.Range(0, 500).Select(i =>
        {
            var r = new MinuteRecord { Seq = (uint)(4_000_000_000 + i), T = 1795000020 + 60L * i };
            for (int c = 0; c < Channel.Count; c++) r.Set(c, 1234.567 + i);
            return r;
        }).ToArray();
        var w = new JsonWriter(new byte[32 * 1024]);

        int first = TelemetryEncoder.WriteEnvelope(w, "NS-0001", "1.4.2", 1, records, 0, records.Length, 1795000020);

        Assert.InRange(first, 1, 199);
        Assert.True(w.Length <= TelemetryEncoder.MaxBytes);
        using var doc = JsonDocument.Parse(w.Buffer.AsMemory(0, w.Length));
        var recs = doc.RootElement.GetProperty("recs");
        Assert.Equal(first, recs.GetArrayLength());
        Assert.Equal(4_000_000_000u, recs[0].GetProperty("seq").GetUInt32());

        var small = records.Select(r => new MinuteRecord { Seq = r.Seq, T = r.T }).ToArray();
        Assert.Equal(200, TelemetryEncoder.WriteEnvelope(w, "NS-0001", "1.4.2", 1, small, 0, small.Length, 1795000020));
    }

    [Fact]
    public void Late_records_carry_the_backfill_bit_on_the_wire()
    {
        var record = new MinuteRecord { Seq = 1, T = 1795000020, Q = QualityBits.Tamper };
        var w = new JsonWriter(new byte[1024]);
        TelemetryEncoder.WriteEnvelope(w, "D-1", "1", 1, [record], 0, 1, nowUtc: 1795000020 + 60 + 3600);
        using var doc = JsonDocument.Parse(w.Buffer.AsMemory(0, w.Length));
        Assert.Equal(QualityBits.Tamper | QualityBits.Backfill, doc.RootElement.GetProperty("recs")[0].GetProperty("q").GetInt32());
        Assert.Equal(QualityBits.Tamper, record.Q);
    }

    [Fact]
    public void Status_event_and_will_documents()
    {
        var w = new JsonWriter(new byte[512]);
        TelemetryEncoder.WriteStatus(w, "NS-0001", "1.4.2", 17, 3600, -61, 54000, true, 0);
        Assert.Equal("""{"v":1,"dev":"NS-0001","online":true,"fw":"1.4.2","boot":17,"uptime":3600,"rssi":-61,"heap":54000,"clock":"synced","buffered":0}""", Text(w));

        TelemetryEncoder.WriteOfflineWill(w, "NS-0001");
        Assert.Equal("""{"v":1,"dev":"NS-0001","online":false}""", Text(w));

        TelemetryEncoder.BeginEvent(w, "NS-0001", 1795000020, EventType.Tamper);
        w.Name("open");
        w.Bool(true);
        TelemetryEncoder.EndEvent(w);
        Assert.Equal("""{"v":1,"dev":"NS-0001","t":1795000020,"type":"tamper","data":{"open":true}}""", Text(w));
    }

    [Fact]
    public void Encoding_an_envelope_allocates_nothing()
    {
        var records = Enumerable.Range(0, 50).Select(i =>
        {
            var r = new MinuteRecord { Seq = (uint)i, T = 1795000020 + 60L * i };
            r.Set(Channel.Laeq, 60 + i * 0.1);
            return r;
        }).ToArray();
        var w = new JsonWriter(new byte[TelemetryEncoder.MaxBytes]);
        TelemetryEncoder.WriteEnvelope(w, "NS-0001", "1.4.2", 1, records, 0, 50, 0);

        long before = GC.GetAllocatedBytesForCurrentThread();
        TelemetryEncoder.WriteEnvelope(w, "NS-0001", "1.4.2", 1, records, 0, 50, 0);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
