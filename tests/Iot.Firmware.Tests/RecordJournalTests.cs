using Iot.Contract;
using Iot.Gateway.Journal;
using Iot.Gateway.Telemetry;

namespace Iot.Firmware.Tests;

public class RecordJournalTests
{
    private const long T0 = 1_795_000_020;
    // A small journal for the wrap tests: 4 segments of 256 bytes, staged 2 noise frames (26 bytes each) at a time.
    private const int SmallSegment = 256;
    private const int SmallSegments = 4;
    private const int SmallStaging = 82;
    // Room for the power-cut test's backlog (it never wraps: the wrap tests check dropping).
    private const int CutSegments = 32;

    private static MinuteRecord Noise(int minute)
    {
        var r = new MinuteRecord { T = T0 + 60L * minute, Q = minute % 2 == 0 ? 0 : QualityBits.ClockUnsynced };
        r.Set(Channel.Laeq, 50 + minute % 30 + 0.1);
        r.Set(Channel.Lafmax, 70 + minute % 20);
        return r;
    }

    private static RecordJournal Open(LittleFsModel files, int segmentBytes = RecordJournal.DefaultSegmentBytes, int segments = RecordJournal.DefaultSegments)
    {
        var journal = segmentBytes == RecordJournal.DefaultSegmentBytes
            ? new RecordJournal(files, segmentBytes, segments)
            : new RecordJournal(files, segmentBytes, segments, SmallStaging);
        journal.Open();
        return journal;
    }

    private static List<MinuteRecord> PeekAll(RecordJournal journal)
    {
        var buffer = Enumerable.Range(0, RecordJournal.MaxBatch).Select(_ => new MinuteRecord()).ToArray();
        int n = journal.Peek(buffer, buffer.Length);
        return buffer.Take(n).ToList();
    }

    private static List<uint> Drain(RecordJournal journal)
    {
        var seqs = new List<uint>();
        while (true)
        {
            var batch = PeekAll(journal);
            if (batch.Count == 0) return seqs;
            seqs.AddRange(batch.Select(r => r.Seq));
            journal.Acknowledge(batch.Count);
        }
    }

    [Fact]
    public void Holds_72_hours_of_minute_records_of_every_site_kind_in_512_KiB_on_the_ESP32()
    {
        var journal = Open(new LittleFsModel());
        Assert.Equal(512 * 1024, RecordJournal.DefaultSegments * RecordJournal.DefaultSegmentBytes);
        // Capacity counts the largest record (every channel), so it bounds every site kind.
        Assert.True(journal.Capacity >= 72 * 60, $"capacity is {journal.Capacity} records");
        Assert.True(journal.CapacityFor(RecordCodec.HeaderBytes + 2 * 4) >= 2 * 72 * 60, "a noise minute is 21 bytes");
    }

    [Fact]
    public void Compact_encoding_round_trips_every_channel()
    {
        var r = new MinuteRecord { Seq = uint.MaxValue, T = 4_000_000_000, Dur = 3600, Q = QualityBits.All };
        for (int c = 0; c < Channel.Count; c++) r.Set(c, -12.5 + c * 10.25);
        var buffer = new byte[RecordCodec.MaxBytes];

        int length = RecordCodec.Encode(r, buffer, 0);
        var back = new MinuteRecord();

        Assert.Equal(RecordCodec.MaxBytes, length);
        Assert.True(RecordCodec.Decode(buffer, 0, length, back));
        Assert.Equal(r.Seq, back.Seq);
        Assert.Equal(r.T, back.T);
        Assert.Equal(r.Dur, back.Dur);
        Assert.Equal(r.Q, back.Q);
        Assert.Equal(r.PresentMask, back.PresentMask);
        for (int c = 0; c < Channel.Count; c++) Assert.Equal(Math.Round(r.Get(c), Channel.Decimals(c), MidpointRounding.AwayFromZero), back.Get(c), 9);
    }

    [Fact]
    public void Crc32_matches_the_standard_check_value()
    {
        var data = "123456789"u8.ToArray();
        Assert.Equal(0xCBF43926u, Crc32.Compute(data, 0, data.Length));
    }

    [Fact]
    public void Drains_oldest_first_with_original_timestamps_and_removes_only_acknowledged_records()
    {
        var files = new LittleFsModel();
        var journal = Open(files);
        for (int m = 0; m < 5; m++) journal.Append(Noise(m));

        var batch = PeekAll(journal);
        Assert.Equal([1u, 2u, 3u, 4u, 5u], batch.Select(r => r.Seq));
        Assert.Equal(Enumerable.Range(0, 5).Select(m => T0 + 60L * m), batch.Select(r => r.T));
        Assert.Equal(50.1, batch[0].Get(Channel.Laeq), 9);

        journal.Acknowledge(2);
        Assert.Equal(3, journal.Pending);
        Assert.Equal([3u, 4u, 5u], PeekAll(journal).Select(r => r.Seq));

        // Without PUBACK nothing is removed, even across a reboot.
        var rebooted = Open(files);
        Assert.Equal(3, rebooted.Pending);
        Assert.Equal([3u, 4u, 5u], PeekAll(rebooted).Select(r => r.Seq));
    }

    [Fact]
    public void Sequence_numbers_keep_increasing_across_reboots_even_when_everything_was_delivered()
    {
        var files = new LittleFsModel();
        var journal = Open(files, SmallSegment, SmallSegments);
        for (int m = 0; m < 30; m++) journal.Append(Noise(m)); // over three segments
        Assert.Equal(30, Drain(journal).Count);

        var rebooted = Open(files, SmallSegment, SmallSegments);
        Assert.Equal(0, rebooted.Pending);
        var next = Noise(30);
        rebooted.Append(next);

        Assert.Equal(31u, next.Seq);
        Assert.Equal([31u], PeekAll(Open(files, SmallSegment, SmallSegments)).Select(r => r.Seq));
    }

    [Fact]
    public void Delivered_segments_are_deleted_so_the_files_stay_bounded()
    {
        var files = new LittleFsModel();
        var journal = Open(files, SmallSegment, SmallSegments);
        for (int m = 0; m < 500; m++)
        {
            journal.Append(Noise(m));
            if (m % 7 == 6) Drain(journal);
        }
        Drain(journal);

        // The head segment (it carries the sequence numbers on), the staging file and the two position copies.
        Assert.Single(files.Names, n => n.Length > 1 && char.IsDigit(n[1]));
        Assert.Subset(new HashSet<string> { "jstage", "jpos0", "jpos1", files.Names.Single(n => char.IsDigit(n[1])) }, files.Names.ToHashSet());
        Assert.Equal(0, journal.DroppedRecords);
        Assert.True(files.TotalBytes <= SmallSegment + SmallStaging + 2 * 24, $"{files.TotalBytes} bytes left");
    }

    [Fact]
    public void Ring_wraps_over_segments_and_keeps_newest_data_when_full()
    {
        var files = new LittleFsModel();
        var journal = Open(files, SmallSegment, SmallSegments);
        const int frame = RecordCodec.HeaderBytes + 8 + RecordJournal.FrameOverheadBytes;

        // Offline for longer than the capacity: the oldest are dropped, the newest kept, in order.
        for (int m = 0; m < 100; m++) journal.Append(Noise(m));
        var rebooted = Open(files, SmallSegment, SmallSegments);
        var kept = Drain(rebooted);
        Assert.InRange(kept.Count, journal.CapacityFor(RecordCodec.HeaderBytes + 8), SmallSegments * ((SmallSegment - RecordJournal.SegmentHeaderBytes) / frame) + SmallStaging / frame);
        Assert.Equal(100u, kept[^1]);
        Assert.Equal(Enumerable.Range((int)kept[0], kept.Count).Select(i => (uint)i), kept);
        Assert.Equal(100 - kept.Count, journal.DroppedRecords);
    }

    [Fact]
    public void A_puback_for_records_dropped_by_ring_wrap_marks_nothing_newer()
    {
        var files = new LittleFsModel();
        var journal = Open(files, SmallSegment, SmallSegments);
        journal.Append(Noise(0));
        Assert.Single(PeekAll(journal));           // in flight: seq 1, in the first segment

        for (int m = 1; m < 60; m++) journal.Append(Noise(m)); // wraps and drops the first segment
        Assert.Equal(0, journal.Acknowledge(1));   // the late PUBACK for seq 1

        var left = Drain(Open(files, SmallSegment, SmallSegments));
        Assert.Equal(60u, left[^1]);
        Assert.Equal(Enumerable.Range((int)left[0], left.Count).Select(i => (uint)i), left);
        Assert.Equal(60 - left.Count, journal.DroppedRecords);
    }

    [Fact]
    public void A_damaged_frame_ends_its_segment_and_the_journal_goes_on()
    {
        var files = new LittleFsModel();
        var journal = Open(files, SmallSegment, SmallSegments);
        for (int m = 0; m < 12; m++) journal.Append(Noise(m)); // segment 0 holds 1..9, segment 1 holds 10..12
        // A bit flip inside the second record of segment 0 (say, a worn block).
        int second = RecordJournal.SegmentHeaderBytes + RecordCodec.HeaderBytes + 8 + RecordJournal.FrameOverheadBytes;
        var bytes = new byte[1];
        files.Read("j0", second + 6, bytes, 0, 1);
        bytes[0] ^= 0x10;
        files.Write("j0", second + 6, bytes, 0, 1);

        var rebooted = Open(files, SmallSegment, SmallSegments);
        Assert.Equal(1, rebooted.CorruptFrames);
        var next = Noise(12);
        rebooted.Append(next);
        Assert.Equal(13u, next.Seq);
        Assert.Equal([1u, 10u, 11u, 12u, 13u], Drain(rebooted));
    }

    /// <summary>
    /// The check: a power cut at every write. A random day of appends, PUBACKs and reboots runs on the
    /// littlefs model with the power cut at operation k, for every k; after each cut the gateway boots again. Whatever
    /// the cut hit: every record whose Append returned is delivered exactly once unless its PUBACK had been recorded
    /// (at least once when the cut hit the recording), in order, and no sequence number is ever used twice.
    /// </summary>
    [Fact]
    public void A_power_cut_at_every_write_loses_no_stored_record_and_reuses_no_sequence_number()
    {
        var rng = new Random(12);
        var plan = Enumerable.Range(0, 500).Select(_ => rng.Next(10)).ToArray(); // 0..6 append, 7..8 deliver, 9 reboot
        long operations = Run(plan, cutAt: -1).Operations;
        Assert.True(operations > 400, $"{operations} operations");

        for (long cut = 0; cut < operations; cut++)
        {
            var outcome = Run(plan, cut);
            Assert.True(outcome.Cut, $"cut {cut} never happened");
        }
    }

    private sealed record Outcome(long Operations, bool Cut);

    private static Outcome Run(int[] plan, long cutAt)
    {
        var files = new LittleFsModel();
        var journal = Open(files, SmallSegment, CutSegments);
        var stored = new List<uint>();       // Append returned
        var confirmed = new HashSet<uint>(); // Acknowledge returned for them
        var delivered = new List<uint>();    // handed out by Peek and then acknowledged
        var everUsed = new HashSet<uint>();
        bool cut = false;
        if (cutAt >= 0) files.CutPowerAfter(cutAt);
        int minute = 0;

        foreach (int step in plan)
        {
            try
            {
                if (step <= 6)
                {
                    var r = Noise(minute++);
                    journal.Append(r);
                    Assert.True(everUsed.Add(r.Seq), $"sequence number {r.Seq} used twice");
                    stored.Add(r.Seq);
                }
                else if (step <= 8)
                {
                    // The PUBACK came: the fleet has the batch whatever happens to the gateway next.
                    var batch = PeekAll(journal).Take(5).Select(r => r.Seq).ToList();
                    delivered.AddRange(batch);
                    journal.Acknowledge(batch.Count);
                    confirmed.UnionWith(batch);
                }
                else
                {
                    journal = Open(files, SmallSegment, CutSegments);
                }
            }
            catch (PowerCutException)
            {
                Assert.True(files.PoweredOff);
                cut = true;
                files.Restore();
                journal = Open(files, SmallSegment, CutSegments);
            }
        }

        // What is left is delivered now; with the batches before it, every stored record arrived, in order.
        long planOperations = files.Operations;
        files.Restore();
        var rest = Drain(Open(files, SmallSegment, CutSegments));
        var all = delivered.Concat(rest).ToList();
        Assert.Equal(0, journal.DroppedRecords);
        Assert.Equal(stored, all.Distinct().ToList());
        // Redelivery only of records whose PUBACK was being recorded when the power went.
        Assert.DoesNotContain(rest, confirmed.Contains);
        return new Outcome(planOperations, cut);
    }
}
