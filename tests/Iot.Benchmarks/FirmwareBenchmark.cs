using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text;
using Iot.Contract.Signing;
using Iot.Contract;
using Iot.Firmware.Model;
using Iot.Gateway.Configuration;
using Iot.Gateway.Hardware;
using Iot.Gateway.Journal;
using Iot.Gateway.Json;
using Iot.Gateway.Modbus;
using Iot.Gateway.Runtime;
using Iot.Gateway.Sensors;
using Iot.Gateway.Telemetry;

namespace Iot.Benchmarks;

/// <summary>
/// `./iot bench firmware`: the device proxy for the portable gateway core, run on .NET in-process.
/// Steady-state allocations (GC.GetAllocatedBytesForCurrentThread) and Stopwatch times of
/// 1. sampling + aggregation (MinuteAggregator) per sample, per second and per minute-record, and a whole
///    GatewayRuntime minute (60 Tick()s) per site kind on zero-allocation fake hardware (checked on its own);
/// 2. TelemetryEncoder per record, against System.Text.Json's Utf8JsonWriter writing the same envelope into a
///    reused ArrayBufferWriter in the same run (same JSON checked with JsonDocument);
/// 3. RecordJournal append and drain (Peek + Acknowledge) per record over the littlefs model;
/// 4. the journal's flash wear on littlefs (the model's erase count) per site kind, online and offline.
/// Each measurement is warmed up, then taken 5 times; the median is printed. Target: 0 bytes per sample and
/// per record in steady state (the largest of the 5 runs is what is judged). Exit code 0 when met, else 1.
/// </summary>
internal static class FirmwareBenchmark
{
    private const int Runs = 5;
    private const long T0 = 1_795_000_020; // a minute boundary
    private const string Dev = "NS-0001";
    private const string Fw = "1.4.2";
    private const uint BootNumber = 17;

    private sealed record Row(string Name, string Unit, double Ns, double Bytes, double MaxBytes, bool Target);

    public static int Run(int minutes, int records)
    {
        minutes = Math.Max(minutes, 1);
        records = Math.Clamp(records, 1, TelemetryEncoder.MaxRecords);
        var total = Stopwatch.StartNew();
        Console.WriteLine($"Firmware benchmark (Gateway.Core on .NET {Environment.Version}, {(Debugger.IsAttached ? "debugger attached" : "no debugger")}): " +
                          $"warm-up, then {Runs} runs each, median shown; allocations from GC.GetAllocatedBytesForCurrentThread()");
        var rows = new List<Row>();
        var notes = new List<string>();
        bool checksOk = true;

        // 1a. Sampling + aggregation alone.
        var (perSample, perSecond, perRecord) = Aggregation(minutes);
        rows.Add(perSample);
        rows.Add(perSecond);
        rows.Add(perRecord);

        // 1b. A whole GatewayRuntime minute per site kind, on fake hardware that allocates nothing itself.
        long fakeBytes = FakeHardwareAllocations();
        notes.Add($"fake hardware alone (clock, Modbus slave, ADC, MQTT, flash, switch; 6,000 s of the same calls): {fakeBytes} B allocated");
        if (fakeBytes != 0) checksOk = false;
        foreach (var site in new[] { SiteKind.Noise, SiteKind.Dust, SiteKind.Fume })
        {
            var (row, note, ok) = RuntimeMinute(site, Math.Max(minutes / 10, 20));
            rows.Add(row);
            notes.Add(note);
            checksOk &= ok;
        }

        // 2. Envelope encoding, ours against Utf8JsonWriter on the same records.
        var set = MakeRecords(records);
        var (ours, baseline, equivalence, same) = EncodeEnvelopes(set);
        rows.Add(ours);
        rows.Add(baseline);
        notes.Add(equivalence);
        checksOk &= same;

        // 2b. The evidence MAC on the same envelope (HMAC-SHA256 with the device's key), and what a device signature would cost.
        var (macRows, macNotes, macOk) = EnvelopeMac(set);
        rows.AddRange(macRows);
        notes.AddRange(macNotes);
        checksOk &= macOk;

        // 3. Journal append and drain.
        var (append, drain, journalNote, journalOk) = JournalAppendDrain(set, Math.Max(minutes * 50, 20_000));
        rows.Add(append);
        rows.Add(drain);
        notes.Add(journalNote);
        checksOk &= journalOk;

        // 4. Flash wear of the journal on littlefs (the model's copy-on-write cost), per site kind.
        var (wearLines, wearOk) = FlashWear(set);
        checksOk &= wearOk;

        // 5. The heap an update needs: long-lived objects plus the largest transient, against the module's heap.
        var (heapLines, heapOk) = UpdateHeapBudget();
        checksOk &= heapOk;

        Console.WriteLine();
        int width = rows.Max(r => r.Name.Length + 1 + r.Unit.Length);
        Console.WriteLine($"{"measurement".PadRight(width)} {"time (median)",14} {"alloc B (median)",17} {"alloc B (max of 5)",19}  target 0 B");
        Console.WriteLine(new string('-', width + 14 + 17 + 19 + 15));
        foreach (var r in rows)
        {
            string verdict = !r.Target ? "(baseline, not judged)" : r.MaxBytes == 0 ? "met" : "NOT MET";
            Console.WriteLine($"{(r.Name + " " + r.Unit).PadRight(width)} {Ns(r.Ns),14} {Num(r.Bytes),17} {Num(r.MaxBytes),19}  {verdict}");
        }
        Console.WriteLine();
        double ratio = ours.Ns / baseline.Ns;
        Console.WriteLine($"encode time per record: ours {Ns(ours.Ns)}, System.Text.Json Utf8JsonWriter {Ns(baseline.Ns)}, ratio ours/baseline = {ratio.ToString("0.00", CultureInfo.InvariantCulture)}");
        foreach (var n in notes) Console.WriteLine(n);
        Console.WriteLine();
        foreach (var line in wearLines) Console.WriteLine(line);
        foreach (var line in heapLines) Console.WriteLine(line);

        bool met = checksOk && rows.Where(r => r.Target).All(r => r.MaxBytes == 0);
        Console.WriteLine();
        Console.WriteLine($"total {total.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
        Console.WriteLine(met ? "targets met" : "TARGETS NOT MET" + (checksOk ? "" : " (a check failed, see above)"));
        return met ? 0 : 1;
    }

    // ---------------------------------------------------------------- 1a. aggregation

    private static (Row PerSample, Row PerSecond, Row PerRecord) Aggregation(int minutes)
    {
        // Every channel of the three site kinds, fed each second: noise (1 call), 7 dust/weather values,
        // fume, fan and purifier (2 run seconds) = 11 sample calls per second, then one Close per minute.
        const int callsPerSecond = 11;
        var noise = Table(4096, 1, 45, 95);
        var values = new double[7][];
        int[] dustChannels = { Channel.Pm10, Channel.Pm25, Channel.Tsp, Channel.Wind, Channel.Wdir, Channel.Rh, Channel.Temp };
        double[][] ranges = { [5, 400], [2, 200], [10, 800], [0, 20], [0, 360], [20, 99], [-10, 40] };
        for (int i = 0; i < values.Length; i++) values[i] = Table(4096, 10 + i, ranges[i][0], ranges[i][1]);
        var fume = Table(4096, 20, 0, 5);
        var amps = Table(4096, 21, 0, 3);
        int mask = Channel.Bit(Channel.Laeq) | Channel.Bit(Channel.Pm10) | Channel.Bit(Channel.Fume);
        var aggregator = new MinuteAggregator(mask);
        var record = new MinuteRecord();
        long t = T0;
        aggregator.Begin(t);
        double checksum = 0;

        (long Ticks, long Bytes) Feed(int count)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            for (int m = 0; m < count; m++)
            {
                for (int s = 0; s < MinuteAggregator.WindowSeconds; s++)
                {
                    int k = (int)(t & 4095);
                    aggregator.AddNoiseSecond(noise[k], noise[k] + 3);
                    for (int c = 0; c < dustChannels.Length; c++) aggregator.AddValue(dustChannels[c], values[c][k]);
                    aggregator.AddValue(Channel.Fume, fume[k]);
                    aggregator.AddRunSecond(Channel.Fan, (k & 1) == 0, amps[k]);
                    aggregator.AddRunSecond(Channel.Pur, (k & 3) != 0, amps[4095 - k]);
                    t++;
                }
                aggregator.Close(record, t);
                checksum += record.Get(Channel.Laeq);
            }
            long ticks = Stopwatch.GetTimestamp() - start;
            return (ticks, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Feed(Math.Max(minutes / 2, 200)); // warm-up: JIT to tier 1, statics
        var ns = new double[Runs];
        var bytes = new long[Runs];
        for (int r = 0; r < Runs; r++)
        {
            var (ticks, b) = Feed(minutes);
            ns[r] = ToNs(ticks);
            bytes[r] = b;
        }
        GC.KeepAlive(checksum);
        double samples = (double)minutes * 60 * callsPerSecond;
        double seconds = (double)minutes * 60;
        string what = $"aggregation ({minutes:N0} min x 60 s x {callsPerSecond} ch)";
        return (
            new Row($"1 {what}", "per sample", Median(ns) / samples, Median(bytes) / samples, bytes.Max() / samples, true),
            new Row("1 aggregation", "per second (11 samples)", Median(ns) / seconds, Median(bytes) / seconds, bytes.Max() / seconds, true),
            new Row("1 aggregation", "per minute-record (60 s + Close)", Median(ns) / minutes, Median(bytes) / minutes, (double)bytes.Max() / minutes, true));
    }

    // ---------------------------------------------------------------- 1b. runtime minute

    private static (Row Row, string Note, bool Ok) RuntimeMinute(SiteKind site, int minutes)
    {
        var clock = new BenchClock { UtcSeconds = T0 };
        var meter = new BenchModbusSlave(1);
        var adc = new BenchAdc();
        var mqtt = new BenchMqttLink();
        var gateway = new GatewayRuntime(new GatewayHardware
        {
            Clock = clock, Mqtt = mqtt, Sensors = new BoardSensors(clock, meter, site == SiteKind.Fume ? adc : null), Tamper = new BenchSwitch(),
            JournalFiles = new LittleFsModel(files: 4), ConfigFlash = new BenchFlash(8 * 1024), BootFlash = new BenchFlash(8 * 1024),
        }, new GatewayRuntimeOptions { DeviceId = Dev, Firmware = Fw, DefaultSite = site, WarmUpSeconds = 0 });

        var level = Table(4096, 30, 45, 95);
        var dust = Table(4096, 31, 5, 400);
        var fume = Table(4096, 32, 0, 5);

        (long Ticks, long Bytes) Run(int count)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            for (int s = 0; s < count * 60; s++)
            {
                int k = (int)(clock.UtcSeconds & 4095);
                switch (site)
                {
                    case SiteKind.Noise:
                        meter.Holding[0] = (ushort)(level[k] * 10); // 0.1 dB
                        break;
                    case SiteKind.Dust:
                        uint pm10 = (uint)dust[k];
                        meter.SetU32(0x00, pm10 * 2); // TSP
                        meter.SetU32(0x02, pm10); // PM10
                        meter.SetU32(0x04, pm10 / 2); // PM2.5
                        meter.SetU32(0x18, (uint)(15 + (k & 7))); // temperature
                        meter.SetU32(0x1A, (uint)(40 + (k & 31))); // humidity
                        break;
                    default:
                        uint bits = BitConverter.SingleToUInt32Bits((float)fume[k]);
                        meter.Input[0] = (ushort)bits; // CDAB: low word first
                        meter.Input[1] = (ushort)(bits >> 16);
                        adc.Running[0] = (k & 64) == 0;
                        adc.Running[1] = (k & 128) == 0;
                        break;
                }
                gateway.Tick();
                clock.UtcSeconds++;
                clock.MonotonicMs += 1000;
            }
            long ticks = Stopwatch.GetTimestamp() - start;
            return (ticks, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Run(10); // connect, boot event, first status and records: every path warmed
        int written = gateway.RecordsWritten;
        var ns = new double[Runs];
        var bytes = new long[Runs];
        for (int r = 0; r < Runs; r++)
        {
            var (ticks, b) = Run(minutes);
            ns[r] = ToNs(ticks) / minutes;
            bytes[r] = b;
        }
        written = gateway.RecordsWritten - written;
        bool ok = written == Runs * minutes && gateway.Buffered <= 1 && meter.Requests > 0;
        string name = site.ToString().ToLowerInvariant();
        var row = new Row($"1 GatewayRuntime {name} ({minutes} min x 60 Tick())", "per minute-record",
            Median(ns), Median(bytes) / (double)minutes, bytes.Max() / (double)minutes, true);
        string note = $"runtime {name}: {written} records closed and journaled in the measured runs (expected {Runs * minutes}), " +
                      $"{mqtt.Publishes} publishes acknowledged, {gateway.Buffered} still buffered{(ok ? "" : "  <-- CHECK FAILED")}";
        return (row, note, ok);
    }

    // Runs the fake hardware alone with the calls 6,000 runtime seconds make, to show it allocates nothing itself.
    private static long FakeHardwareAllocations()
    {
        var clock = new BenchClock();
        var meter = new BenchModbusSlave(1);
        var adc = new BenchAdc();
        var mqtt = new BenchMqttLink();
        var flash = new BenchFlash(64 * 1024);
        var lid = new BenchSwitch();
        var frame = new byte[8];
        var buffer = new byte[256];
        var burst = new int[40];

        void Exercise(int seconds)
        {
            for (int s = 0; s < seconds; s++)
            {
                ModbusRtuMaster.BuildReadRequest(frame, 1, ModbusRtuMaster.ReadHoldingRegisters, 0, 28);
                meter.DiscardInput();
                meter.Write(frame, 0, frame.Length);
                while (meter.Read(buffer, 0, buffer.Length, 100) > 0) { }
                adc.SampleBurst(0, burst, burst.Length);
                adc.SampleBurst(1, burst, burst.Length);
                int id = mqtt.Publish("t", buffer, 10, false);
                while (mqtt.TryTakeAcknowledged(out id)) { }
                flash.Read(s % 1000 * 64, buffer, 0, 64);
                flash.Write(s % 1000 * 64, buffer, 0, 64);
                if (s % 600 == 0) flash.EraseSector(s / 600 % 16);
                clock.Sleep(4);
                clock.UtcSeconds += clock.IsSynchronized && !lid.IsOpen ? 1 : 2;
            }
        }

        Exercise(600);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Exercise(6000);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    // ---------------------------------------------------------------- 2. encoding

    private static (Row Ours, Row Baseline, string Note, bool Same) EncodeEnvelopes(MinuteRecord[] set)
    {
        int n = set.Length;
        long now = set[n - 1].T + 60 + 30; // the oldest records are late: the backfill bit is exercised
        var writer = new JsonWriter(new byte[TelemetryEncoder.MaxBytes]);
        var output = new ArrayBufferWriter<byte>(TelemetryEncoder.MaxBytes);
        var stj = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = false });
        var names = new JsonEncodedText[Channel.Count];
        for (int c = 0; c < Channel.Count; c++) names[c] = JsonEncodedText.Encode(Channel.Name(c));
        var pV = JsonEncodedText.Encode("v");
        var pDev = JsonEncodedText.Encode("dev");
        var pFw = JsonEncodedText.Encode("fw");
        var pBoot = JsonEncodedText.Encode("boot");
        var pRecs = JsonEncodedText.Encode("recs");
        var pSeq = JsonEncodedText.Encode("seq");
        var pT = JsonEncodedText.Encode("t");
        var pDur = JsonEncodedText.Encode("dur");
        var pQ = JsonEncodedText.Encode("q");
        var pM = JsonEncodedText.Encode("m");
        var vDev = JsonEncodedText.Encode(Dev);
        var vFw = JsonEncodedText.Encode(Fw);

        int Ours()
        {
            return TelemetryEncoder.WriteEnvelope(writer, Dev, Fw, BootNumber, set, 0, n, now);
        }

        // The same envelope with System.Text.Json: pre-encoded names, a reused writer and buffer, and the
        // firmware's rounding (half away from zero at the channel's decimals) so that the numbers are the same.
        int Baseline()
        {
            output.ResetWrittenCount();
            stj.Reset(output);
            stj.WriteStartObject();
            stj.WriteNumber(pV, TelemetryEncoder.Version);
            stj.WriteString(pDev, vDev);
            stj.WriteString(pFw, vFw);
            stj.WriteNumber(pBoot, BootNumber);
            stj.WriteStartArray(pRecs);
            for (int i = 0; i < n; i++)
            {
                var r = set[i];
                stj.WriteStartObject();
                stj.WriteNumber(pSeq, r.Seq);
                stj.WriteNumber(pT, r.T);
                stj.WriteNumber(pDur, r.Dur);
                stj.WriteNumber(pQ, QualityBits.ForSending(r.Q, r.T, r.Dur, now));
                stj.WriteStartObject(pM);
                for (int c = 0; c < Channel.Count; c++)
                {
                    if (!r.Has(c)) continue;
                    stj.WriteNumber(names[c], Round(r.Get(c), Channel.Decimals(c)));
                }
                stj.WriteEndObject();
                stj.WriteEndObject();
            }
            stj.WriteEndArray();
            stj.WriteEndObject();
            stj.Flush();
            return n;
        }

        int taken = Ours();
        Baseline();
        var oursJson = writer.Buffer.AsSpan(0, writer.Length).ToArray();
        var theirsJson = output.WrittenSpan.ToArray();
        var (same, detail) = Equivalent(oursJson, theirsJson, n);
        bool identical = oursJson.AsSpan().SequenceEqual(theirsJson);
        same &= taken == n;

        int envelopes = Math.Max(200_000 / n, 50);
        (double Ns, long Bytes) Measure(Func<int> encode) => MeasureEnvelopes(envelopes, n, encode);

        Func<int> ours = Ours, baseline = Baseline; // the delegates are made once, outside the measurements
        Measure(ours);
        Measure(baseline);
        Measure(ours);
        Measure(baseline);
        var oursNs = new double[Runs];
        var oursBytes = new long[Runs];
        var baseNs = new double[Runs];
        var baseBytes = new long[Runs];
        for (int r = 0; r < Runs; r++) // interleaved, so that both see the same machine
        {
            (oursNs[r], oursBytes[r]) = Measure(ours);
            (baseNs[r], baseBytes[r]) = Measure(baseline);
        }
        double records = (double)envelopes * n;
        string label = $"{n}-record envelope, {oursJson.Length:N0} B, x{envelopes:N0}";
        var oursRow = new Row($"2 TelemetryEncoder {label}", "per record", Median(oursNs) / records, Median(oursBytes) / records, oursBytes.Max() / records, true);
        var baseRow = new Row("2 baseline: STJ Utf8JsonWriter, same envelope", "per record", Median(baseNs) / records, Median(baseBytes) / records, baseBytes.Max() / records, false);
        string note = $"JSON check: {(same ? "equivalent" : "DIFFERENT  <-- CHECK FAILED")} ({detail}); byte-identical: {(identical ? "yes" : "no")} " +
                      $"({oursJson.Length:N0} B ours, {theirsJson.Length:N0} B baseline)";
        return (oursRow, baseRow, note, same);
    }

    /// <summary>
    /// The envelope with and without `mac` (Telemetry/README.md), per record and per envelope, and the HMAC alone; then the
    /// core's Ed25519 verifier and the release tool's signer, for what a periodic device signature would cost.
    /// </summary>
    private static (List<Row> Rows, List<string> Notes, bool Ok) EnvelopeMac(MinuteRecord[] set)
    {
        int n = set.Length;
        long now = set[n - 1].T + 600;
        var key = new byte[HmacSha256.EvidenceKeyBytes];
        for (int i = 0; i < key.Length; i++) key[i] = (byte)(i * 13 + 1);
        var hmac = new HmacSha256(key);
        var writer = new JsonWriter(new byte[TelemetryEncoder.MaxBytes]);
        int Plain() => TelemetryEncoder.WriteEnvelope(writer, Dev, Fw, BootNumber, set, 0, n, now);
        int Signed() => TelemetryEncoder.WriteEnvelope(writer, Dev, Fw, BootNumber, set, 0, n, now, hmac);
        Signed();
        int signedBytes = writer.Length;
        var body = writer.Buffer[..(signedBytes - TelemetryEncoder.MacSuffixBytes)];
        bool ok = Encoding.ASCII.GetString(writer.Buffer, signedBytes - 66, 64) ==
                  Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(key, body));
        var scratch = new byte[HmacSha256.MacBytes];
        int MacOnly()
        {
            hmac.Begin();
            hmac.Append(body, 0, body.Length);
            hmac.Finish(scratch, 0);
            return n;
        }

        int envelopes = Math.Max(200_000 / n, 50);
        (double Ns, long Bytes) Measure(Func<int> f) => MeasureEnvelopes(envelopes, n, f);
        Func<int> plain = Plain, signed = Signed, macOnly = MacOnly;
        foreach (var f in new[] { plain, signed, macOnly }) Measure(f);
        var ns = new double[3][];
        var bytes = new long[3][];
        for (int k = 0; k < 3; k++)
        {
            ns[k] = new double[Runs];
            bytes[k] = new long[Runs];
        }
        var fs = new[] { plain, signed, macOnly };
        for (int r = 0; r < Runs; r++)
            for (int k = 0; k < 3; k++) (ns[k][r], bytes[k][r]) = Measure(fs[k]);
        double records = (double)envelopes * n;
        var rows = new List<Row>
        {
            new($"2b TelemetryEncoder + mac, {n}-record envelope, {signedBytes:N0} B", "per record", Median(ns[1]) / records, Median(bytes[1]) / records, bytes[1].Max() / records, true),
            new($"2b HMAC-SHA256 alone over {body.Length:N0} B", "per envelope", Median(ns[2]) / envelopes, Median(bytes[2]) / (double)envelopes, bytes[2].Max() / (double)envelopes, true),
            new("2b HMAC-SHA256 alone", "per record", Median(ns[2]) / records, Median(bytes[2]) / records, bytes[2].Max() / records, true),
        };
        double addedPerRecord = (Median(ns[1]) - Median(ns[0])) / records;
        var notes = new List<string>
        {
            $"evidence MAC: {(ok ? "matches System.Security.Cryptography.HMACSHA256" : "DIFFERENT  <-- CHECK FAILED")}; adds {TelemetryEncoder.MacSuffixBytes} B per envelope " +
            $"and {Ns(addedPerRecord)} per record to encoding (plain {Ns(Median(ns[0]) / records)}, with mac {Ns(Median(ns[1]) / records)})",
        };

        // A periodic device signature: the core only verifies (Ota/Ed25519Verifier); signing is one fixed-base scalar
        // multiplication where verifying is two, so a TweetNaCl-style signer in the core would cost about half a verify.
        var seed = new byte[32];
        for (int i = 0; i < 32; i++) seed[i] = (byte)(i + 7);
        var publicKey = Iot.Gateway.Release.Ed25519Signer.PublicKey(seed);
        var signature = Iot.Gateway.Release.Ed25519Signer.Sign(seed, body);
        var verifier = new Iot.Contract.Signing.Ed25519Verifier();
        if (!verifier.Verify(publicKey, signature, body, 0, body.Length)) ok = false;
        var verifyNs = new double[Runs];
        var signNs = new double[Runs];
        for (int r = 0; r < Runs; r++)
        {
            long start = Stopwatch.GetTimestamp();
            verifier.Verify(publicKey, signature, body, 0, body.Length);
            verifyNs[r] = ToNs(Stopwatch.GetTimestamp() - start);
            start = Stopwatch.GetTimestamp();
            Iot.Gateway.Release.Ed25519Signer.Sign(seed, body);
            signNs[r] = ToNs(Stopwatch.GetTimestamp() - start);
        }
        notes.Add($"device signature (not done, see firmware/Gateway.Core/Telemetry/README.md): the core's Ed25519 verify {Ns(Median(verifyNs))} on .NET " +
                  $"(about 10,000 field multiplications; a TweetNaCl-style sign is about half), release tool's BigInteger sign {Ns(Median(signNs))}; " +
                  $"the HMAC per envelope is {(Median(verifyNs) / 2 / (Median(ns[2]) / envelopes)).ToString("N0", CultureInfo.InvariantCulture)} times cheaper than such a sign");
        return (rows, notes, ok);
    }

    private static double Round(double value, int decimals)
    {
        double scale = 1;
        for (int i = 0; i < decimals; i++) scale *= 10;
        double scaled = Math.Floor(Math.Abs(value) * scale + 0.5);
        return (value < 0 && scaled != 0 ? -scaled : scaled) / scale;
    }

    // Parses both envelopes and compares the header and every record's seq, t, dur, q and measurements.
    private static (bool Same, string Detail) Equivalent(byte[] a, byte[] b, int expected)
    {
        using var da = JsonDocument.Parse(a);
        using var db = JsonDocument.Parse(b);
        JsonElement ra = da.RootElement, rb = db.RootElement;
        if (ra.GetProperty("v").GetInt32() != rb.GetProperty("v").GetInt32() || ra.GetProperty("dev").GetString() != rb.GetProperty("dev").GetString()
            || ra.GetProperty("fw").GetString() != rb.GetProperty("fw").GetString() || ra.GetProperty("boot").GetUInt32() != rb.GetProperty("boot").GetUInt32())
        {
            return (false, "envelope header differs");
        }
        var recsA = ra.GetProperty("recs").EnumerateArray().ToArray();
        var recsB = rb.GetProperty("recs").EnumerateArray().ToArray();
        if (recsA.Length != expected || recsB.Length != expected) return (false, $"{recsA.Length} vs {recsB.Length} records, expected {expected}");
        int values = 0, backfilled = 0;
        for (int i = 0; i < expected; i++)
        {
            foreach (var key in new[] { "seq", "t", "dur", "q" })
            {
                if (recsA[i].GetProperty(key).GetInt64() != recsB[i].GetProperty(key).GetInt64()) return (false, $"record {i}: {key} differs");
            }
            if ((recsA[i].GetProperty("q").GetInt32() & QualityBits.Backfill) != 0) backfilled++;
            var ma = recsA[i].GetProperty("m").EnumerateObject().ToArray();
            var mb = recsB[i].GetProperty("m").EnumerateObject().ToArray();
            if (ma.Length != mb.Length) return (false, $"record {i}: {ma.Length} vs {mb.Length} channels");
            for (int j = 0; j < ma.Length; j++)
            {
                if (ma[j].Name != mb[j].Name || ma[j].Value.GetDouble() != mb[j].Value.GetDouble())
                {
                    return (false, $"record {i}: {ma[j].Name}={ma[j].Value.GetRawText()} vs {mb[j].Name}={mb[j].Value.GetRawText()}");
                }
                values++;
            }
        }
        return (true, $"{expected} records, {values} measurement values equal after JsonDocument parse, {backfilled} with the backfill bit");
    }

    // ---------------------------------------------------------------- 3. journal

    private static (Row Append, Row Drain, string Note, bool Ok) JournalAppendDrain(MinuteRecord[] set, int perRun)
    {
        const int batch = 20; // GatewayRuntimeOptions.UplinkBatch default
        var files = new LittleFsModel(files: 20);
        var journal = new RecordJournal(files, RecordJournal.DefaultSegmentBytes, 16);
        journal.Open();
        var peeked = new MinuteRecord[batch];
        for (int i = 0; i < peeked.Length; i++) peeked[i] = new MinuteRecord();
        int next = 0;
        long mismatches = 0;

        (long AppendTicks, long AppendBytes, long DrainTicks, long DrainBytes) Run(int count)
        {
            long appendTicks = 0, drainTicks = 0, appendBytes = 0, drainBytes = 0;
            for (int done = 0; done < count; done += batch)
            {
                long b0 = GC.GetAllocatedBytesForCurrentThread();
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < batch; i++)
                {
                    journal.Append(set[next]);
                    next = (next + 1) % set.Length;
                }
                long t1 = Stopwatch.GetTimestamp();
                long b1 = GC.GetAllocatedBytesForCurrentThread();
                int got = journal.Peek(peeked, batch);
                int acked = journal.Acknowledge(got);
                long t2 = Stopwatch.GetTimestamp();
                long b2 = GC.GetAllocatedBytesForCurrentThread();
                appendTicks += t1 - t0;
                drainTicks += t2 - t1;
                appendBytes += b1 - b0;
                drainBytes += b2 - b1;
                if (got != batch || acked != batch || peeked[batch - 1].Seq != journal.NextSeq - 1) mismatches++;
            }
            return (appendTicks, appendBytes, drainTicks, drainBytes);
        }

        Run(Math.Max(perRun / 2, 5_000)); // warm-up, and the ring has wrapped several times before measuring
        int rounds = (perRun + batch - 1) / batch;
        double records = (double)rounds * batch;
        var aNs = new double[Runs];
        var aBytes = new long[Runs];
        var dNs = new double[Runs];
        var dBytes = new long[Runs];
        uint seqBefore = journal.NextSeq;
        for (int r = 0; r < Runs; r++)
        {
            var (at, ab, dt, db) = Run(rounds * batch);
            aNs[r] = ToNs(at);
            aBytes[r] = ab;
            dNs[r] = ToNs(dt);
            dBytes[r] = db;
        }
        bool ok = mismatches == 0 && journal.Pending == 0 && journal.DroppedRecords == 0 && journal.NextSeq - seqBefore == Runs * rounds * batch;
        string label = $"({batch}-record batches, {records:N0} records, 16 segments)";
        var append = new Row($"3 RecordJournal append {label}", "per record", Median(aNs) / records, Median(aBytes) / records, aBytes.Max() / records, true);
        var drain = new Row("3 RecordJournal drain (Peek + Acknowledge)", "per record", Median(dNs) / records, Median(dBytes) / records, dBytes.Max() / records, true);
        string note = $"journal: capacity {journal.Capacity} records, {files.Erases:N0} block erases (littlefs model), every batch peeked back in order and acknowledged, " +
                      $"{journal.Pending} pending, {journal.DroppedRecords} dropped{(ok ? "" : $", {mismatches} bad batches  <-- CHECK FAILED")}";
        return (append, drain, note, ok);
    }

    // ---------------------------------------------------------------- 4. flash wear

    // The chosen module (hardware/bill-of-materials.md): ESP32-WROVER-E with 8 MB flash, whose nanoFramework partition
    // table gives I:\ 2 MiB (512 blocks). Two firmware bundles of at most 512 KiB each are the static files; every other
    // block is in littlefs's rotation (its allocator moves round the whole disk, so wear spreads over the free blocks).
    private const int PartitionBlocks = 2 * 1024 * 1024 / LittleFsModel.BlockBytes;
    private const int StaticBlocks = 2 * 512 * 1024 / LittleFsModel.BlockBytes;
    private const int RatedCycles = 100_000; // ESP32 modules' SPI NOR flash (datasheets: 100,000 program/erase cycles)
    private const double TargetYears = 10;    // a gateway's service life before 10 % of the rated cycles are used

    private static (List<string> Lines, bool Ok) FlashWear(MinuteRecord[] set)
    {
        const int minutesPerDay = 1440;
        int pool = PartitionBlocks - StaticBlocks;
        var lines = new List<string>
        {
            $"flash wear (littlefs model: {LittleFsModel.BlockBytes}-byte blocks, inline files up to {LittleFsModel.InlineBytes} B; " +
            $"I:\\ of {PartitionBlocks} blocks, {StaticBlocks} held by two 512 KiB bundles, {pool} in rotation; {RatedCycles:N0} rated cycles):",
        };
        bool ok = true;
        string[] kinds = ["noise", "dust", "fume"];
        for (int kind = 0; kind < kinds.Length; kind++)
        {
            var records = set.Where((_, i) => i % 3 == kind).ToArray();
            if (records.Length == 0) records = set;
            var online = new LittleFsModel();
            var journal = new RecordJournal(online);
            journal.Open();
            var peeked = new MinuteRecord[RecordJournal.MaxBatch];
            for (int i = 0; i < peeked.Length; i++) peeked[i] = new MinuteRecord();
            // Online: each minute's record is sent and acknowledged at once. Two days; the second is measured.
            for (int day = 0; day < 2; day++)
            {
                if (day == 1) online.ResetWear();
                for (int m = 0; m < minutesPerDay; m++)
                {
                    journal.Append(records[m % records.Length]);
                    journal.Acknowledge(journal.Peek(peeked, 20));
                }
            }
            long onlineErases = online.Erases;
            // Offline for a day, then the backlog drained in 60-record envelopes (the virtual gateways' batch).
            online.ResetWear();
            for (int m = 0; m < minutesPerDay; m++) journal.Append(records[m % records.Length]);
            while (journal.Pending > 0) journal.Acknowledge(journal.Peek(peeked, 60));
            long offlineErases = online.Erases;

            double perBlockPerDay = (double)Math.Max(onlineErases, offlineErases) / pool;
            double years = RatedCycles * 0.1 / perBlockPerDay / 365;
            int recordBytes = RecordCodec.Encode(records[0], new byte[RecordCodec.MaxBytes], 0);
            bool kindOk = journal.DroppedRecords == 0 && years >= TargetYears && journal.CapacityFor(recordBytes) >= 72 * 60;
            ok &= kindOk;
            lines.Add($"  {kinds[kind],-5} ({recordBytes} B records, journal holds {journal.CapacityFor(recordBytes) / 60.0:0} h): " +
                      $"{onlineErases:N0} erases a day online, {offlineErases:N0} for a day offline and its backfill; " +
                      $"{perBlockPerDay:0.0} per block a day, 10 % of rated cycles after {years:0.0} years (target ≥ {TargetYears:0}, and ≥ 72 h held)" +
                      (kindOk ? "" : "  <-- CHECK FAILED"));
        }
        return (lines, ok);
    }

    // ---------------------------------------------------------------- 5. heap budget of an update

    // A whole update on stubs that allocate nothing (a signed 64 KiB image downloaded, hashed, its signature checked,
    // staged and activated): the largest allocation of one Tick is the update's transient.
    private static (List<string> Lines, bool Ok) UpdateHeapBudget()
    {
        const string url = "http://releases.example/fw/2.0.0.bin";
        var seed = System.Security.Cryptography.SHA256.HashData("bench release key"u8);
        var image = new byte[64 * 1024];
        new Random(7).NextBytes(image);
        var manifest = new Iot.Contract.Signing.ReleaseManifest { Target = "esp32", Version = "2.0.0", Size = image.Length };
        System.Security.Cryptography.SHA256.HashData(image).CopyTo(manifest.Sha256, 0);
        var message = new byte[Iot.Contract.Signing.ReleaseManifest.MaxMessageBytes];
        int length = manifest.WriteSignedMessage(message);
        byte[] signature = Iot.Gateway.Release.Ed25519Signer.Sign(seed, message.AsSpan(0, length));
        var command = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["cmd"] = "ota", ["id"] = "bench", ["version"] = "2.0.0", ["url"] = url, ["size"] = image.Length,
            ["sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(image)), ["sig"] = Convert.ToHexStringLower(signature),
        }));

        var clock = new BenchClock { UtcSeconds = T0 };
        var mqtt = new BenchMqttLink();
        var slots = new BenchSlots(image.Length);
        var gateway = new GatewayRuntime(new GatewayHardware
        {
            Clock = clock, Mqtt = mqtt, Inbox = mqtt, Sensors = new BoardSensors(clock, new BenchModbusSlave(1), null), Tamper = new BenchSwitch(),
            JournalFiles = new LittleFsModel(files: 4), ConfigFlash = new BenchFlash(8 * 1024), BootFlash = new BenchFlash(8 * 1024),
            Firmware = slots, FirmwareDownload = new BenchDownload(image), OtaFlash = new BenchFlash(8 * 1024),
        }, new GatewayRuntimeOptions
        {
            DeviceId = Dev, Firmware = "1.9.0", WarmUpSeconds = 0,
            Ota = new Iot.Gateway.Ota.OtaSettings { ReleaseKey = Iot.Gateway.Release.Ed25519Signer.PublicKey(seed) },
        });
        for (int s = 0; s < 120; s++, clock.UtcSeconds++, clock.MonotonicMs += 1000) gateway.Tick();
        long longLived = HeapBudget.LongLivedBytes(gateway);

        mqtt.Deliver($"iot/v1/{Dev}/cmd", command);
        long transient = 0;
        int ticks = 0;
        for (; ticks < 3600 && !gateway.RestartRequested; ticks++, clock.UtcSeconds++, clock.MonotonicMs += 1000)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            gateway.Tick();
            transient = Math.Max(transient, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        bool updated = gateway.RestartRequested && slots.Activated == "2.0.0";
        var lines = HeapBudget.Report(longLived, transient, image.Length).ToList();
        bool fits = longLived + transient + HeapBudget.MaxBundleBytes <= HeapBudget.PsramHeapBytes;
        lines.Add($"  the update ran {ticks} ticks and {(updated ? "activated 2.0.0" : "DID NOT FINISH  <-- CHECK FAILED")}");
        return (lines, updated && fits);
    }

    // ---------------------------------------------------------------- data and helpers

    // Time and allocations of encoding `envelopes` envelopes of n records each.
    private static (double Ns, long Bytes) MeasureEnvelopes(int envelopes, int n, Func<int> encode)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        long start = Stopwatch.GetTimestamp();
        int sum = 0;
        for (int e = 0; e < envelopes; e++) sum += encode();
        long ticks = Stopwatch.GetTimestamp() - start;
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        if (sum != envelopes * n) throw new InvalidOperationException("an envelope did not take every record");
        return (ToNs(ticks), bytes);
    }

    // Records as the three site kinds produce them, with the channels each one sends and varied quality bits.
    private static MinuteRecord[] MakeRecords(int n)
    {
        var rng = new Random(42);
        var set = new MinuteRecord[n];
        for (int i = 0; i < n; i++)
        {
            var r = new MinuteRecord { Seq = (uint)(1043 + i), T = T0 + 60L * i, Dur = 60, Q = i % 7 == 3 ? QualityBits.ClockUnsynced : i % 11 == 5 ? QualityBits.Tamper : 0 };
            switch (i % 3)
            {
                case 0:
                    double laeq = 50 + 40 * rng.NextDouble();
                    r.Set(Channel.Laeq, laeq);
                    r.Set(Channel.Lafmax, laeq + 15 * rng.NextDouble());
                    r.Set(Channel.L10, laeq + 3 * rng.NextDouble());
                    r.Set(Channel.L90, laeq - 10 * rng.NextDouble());
                    break;
                case 1:
                    double pm10 = 400 * rng.NextDouble();
                    r.Set(Channel.Pm10, pm10);
                    r.Set(Channel.Pm25, pm10 * rng.NextDouble());
                    r.Set(Channel.Tsp, pm10 * (1 + rng.NextDouble()));
                    r.Set(Channel.Wind, 20 * rng.NextDouble());
                    r.Set(Channel.Wdir, 360 * rng.NextDouble());
                    r.Set(Channel.Rh, 20 + 79 * rng.NextDouble());
                    r.Set(Channel.Temp, -10 + 50 * rng.NextDouble());
                    break;
                default:
                    r.Set(Channel.Fume, 5 * rng.NextDouble());
                    r.Set(Channel.Fan, Math.Round(rng.NextDouble() * 60) / 60);
                    r.Set(Channel.Pur, Math.Round(rng.NextDouble() * 60) / 60);
                    r.Set(Channel.FanA, 3 * rng.NextDouble());
                    r.Set(Channel.PurA, 2 * rng.NextDouble());
                    break;
            }
            set[i] = r;
        }
        return set;
    }

    private static double[] Table(int length, int seed, double min, double max)
    {
        var rng = new Random(seed);
        var table = new double[length];
        for (int i = 0; i < length; i++) table[i] = min + (max - min) * rng.NextDouble();
        return table;
    }

    private static double ToNs(long ticks) => ticks * 1e9 / Stopwatch.Frequency;

    private static double Median(double[] values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted[sorted.Length / 2];
    }

    private static double Median(long[] values) => Median(values.Select(v => (double)v).ToArray());

    private static string Ns(double ns) => ns >= 100_000
        ? (ns / 1000).ToString("N1", CultureInfo.InvariantCulture) + " us"
        : ns.ToString("N1", CultureInfo.InvariantCulture) + " ns";

    private static string Num(double value) => value.ToString(value == Math.Floor(value) ? "N0" : "N3", CultureInfo.InvariantCulture);

    // ---------------------------------------------------------------- fake hardware, allocation-free

    /// <summary>A clock that only moves when told to; Sleep advances the monotonic counter.</summary>
    private sealed class BenchClock : IClock
    {
        public long UtcSeconds { get; set; } = T0;
        public bool IsSynchronized { get; set; } = true;
        public long MonotonicMs { get; set; } = 10_000;
        public void Sleep(int milliseconds) => MonotonicMs += milliseconds;
    }

    /// <summary>A Modbus RTU slave answering read requests from its registers into a preallocated reply.</summary>
    private sealed class BenchModbusSlave(byte slave) : ISerialLink
    {
        private readonly byte[] _reply = new byte[5 + 2 * ModbusRtuMaster.MaxReadCount];
        private int _length;
        private int _at;

        public ushort[] Holding { get; } = new ushort[64];
        public ushort[] Input { get; } = new ushort[64];
        public int Requests { get; private set; }
        public int BaudRate => 9600;

        public void SetU32(int address, uint value)
        {
            Holding[address] = (ushort)(value >> 16); // high word first
            Holding[address + 1] = (ushort)value;
        }

        public void DiscardInput() => _at = _length;

        public void Write(byte[] buffer, int offset, int count)
        {
            Requests++;
            _at = _length = 0;
            if (count != 8 || buffer[offset] != slave) return;
            byte function = buffer[offset + 1];
            var bank = function == ModbusRtuMaster.ReadHoldingRegisters ? Holding : function == ModbusRtuMaster.ReadInputRegisters ? Input : null;
            int start = (buffer[offset + 2] << 8) | buffer[offset + 3], n = (buffer[offset + 4] << 8) | buffer[offset + 5];
            if (bank is null || start + n > bank.Length) return;
            _reply[0] = slave;
            _reply[1] = function;
            _reply[2] = (byte)(2 * n);
            for (int i = 0; i < n; i++)
            {
                _reply[3 + 2 * i] = (byte)(bank[start + i] >> 8);
                _reply[4 + 2 * i] = (byte)bank[start + i];
            }
            _length = ModbusCrc.Append(_reply, 3 + 2 * n);
        }

        public int Read(byte[] buffer, int offset, int count, int timeoutMs)
        {
            int n = Math.Min(count, _length - _at);
            if (n <= 0) return 0;
            Array.Copy(_reply, _at, buffer, offset, n);
            _at += n;
            return n;
        }
    }

    /// <summary>Current transformers: a precomputed 50 Hz sine per channel, large (running) or small (stopped).</summary>
    private sealed class BenchAdc : IAdc
    {
        private readonly int[] _on = Sine(100);
        private readonly int[] _off = Sine(5);
        public bool[] Running { get; } = new bool[4];

        public void SampleBurst(int channel, int[] buffer, int count)
        {
            var source = Running[channel] ? _on : _off;
            for (int i = 0; i < count; i++) buffer[i] = source[i % source.Length];
        }

        private static int[] Sine(double amplitude)
        {
            var table = new int[40];
            for (int i = 0; i < table.Length; i++) table[i] = 2048 + (int)Math.Round(amplitude * Math.Sin(2 * Math.PI * i / table.Length));
            return table;
        }
    }

    /// <summary>A broker session that acknowledges every publish at once, from a fixed ring of packet ids.</summary>
    private sealed class BenchMqttLink : IMqttLink, IMqttInbox
    {
        private byte[]? _message;
        private string _topic = "";

        /// <summary>One message from the broker, taken at the next poll.</summary>
        public void Deliver(string topic, byte[] payload)
        {
            _topic = topic;
            _message = payload;
        }

        public bool Subscribe(string topic) => true;

        public int TryTakeMessage(byte[] buffer, out string topic)
        {
            topic = _topic;
            if (_message is null) return -1;
            int n = _message.Length;
            Array.Copy(_message, buffer, Math.Min(n, buffer.Length));
            _message = null;
            return n;
        }

        private readonly int[] _acks = new int[256];
        private int _head;
        private int _tail;
        private int _nextId;
        public int Publishes { get; private set; }
        public bool IsConnected { get; private set; }
        public bool LoginRefused => false;
        public bool Connect(string? userName, string? password, bool will) => IsConnected = true;
        public void Disconnect() => IsConnected = false;

        public int Publish(string topic, byte[] payload, int length, bool retain)
        {
            if (_tail - _head >= _acks.Length) return -1;
            Publishes++;
            _nextId = _nextId % 65535 + 1;
            _acks[_tail++ % _acks.Length] = _nextId;
            return _nextId;
        }

        public bool TryTakeAcknowledged(out int packetId)
        {
            packetId = 0;
            if (_head == _tail) return false;
            packetId = _acks[_head++ % _acks.Length];
            return true;
        }
    }

    /// <summary>Firmware slots in a preallocated array: the staging slot and what was activated.</summary>
    private sealed class BenchSlots(int capacity) : IFirmwareSlots
    {
        private readonly byte[] _staging = new byte[capacity];
        public string? Activated { get; private set; }
        public string RunningVersion => "1.9.0";
        public string? PreviousVersion => null;
        public bool InTrial => false;
        public int TrialBoots => 0;
        public int StagingCapacity => _staging.Length;
        public int StagedLength { get; private set; }
        public void EraseStaging() => StagedLength = 0;

        public void WriteStaging(byte[] buffer, int offset, int count)
        {
            Array.Copy(buffer, offset, _staging, StagedLength, count);
            StagedLength += count;
        }

        public void ReadStaging(int position, byte[] buffer, int offset, int count) => Array.Copy(_staging, position, buffer, offset, count);
        public void Activate(string version) => Activated = version;
        public void Confirm() { }
        public void Revert() { }
    }

    /// <summary>Ranged reads of one image.</summary>
    private sealed class BenchDownload(byte[] image) : IFirmwareDownload
    {
        public int Read(string url, int position, byte[] buffer, int offset, int count)
        {
            int n = Math.Min(count, image.Length - position);
            Array.Copy(image, position, buffer, offset, n);
            return n;
        }

        public void Close() { }
    }

    /// <summary>A closed enclosure.</summary>
    private sealed class BenchSwitch : IDigitalInput
    {
        public bool IsOpen => false;
    }

    /// <summary>NOR flash in RAM (as tests/Iot.Firmware.Tests/Fakes/FakeFlash, without power-loss injection).</summary>
    private sealed class BenchFlash : IFlashStore
    {
        private readonly byte[] _bytes;

        public BenchFlash(int size, int sectorSize = 4096)
        {
            _bytes = new byte[size];
            Array.Fill(_bytes, (byte)0xFF);
            Size = size;
            SectorSize = sectorSize;
        }

        public int Size { get; }
        public int SectorSize { get; }
        public int Erases { get; private set; }

        public void Read(int address, byte[] buffer, int offset, int count)
        {
            CheckRange(address, count);
            Array.Copy(_bytes, address, buffer, offset, count);
        }

        public void Write(int address, byte[] buffer, int offset, int count)
        {
            CheckRange(address, count);
            for (int i = 0; i < count; i++) _bytes[address + i] &= buffer[offset + i];
        }

        public void EraseSector(int sectorIndex)
        {
            CheckRange(sectorIndex * SectorSize, SectorSize);
            Array.Fill(_bytes, (byte)0xFF, sectorIndex * SectorSize, SectorSize);
            Erases++;
        }

        private void CheckRange(int address, int count)
        {
            if (address < 0 || count < 0 || address + count > _bytes.Length) throw new ArgumentOutOfRangeException(nameof(address));
        }
    }
}
