using Iot.Firmware.Tests.Fakes;
using Iot.Gateway.Journal;
using Iot.Gateway.Telemetry;

namespace Iot.Firmware.Tests;

public class RecordJournalTests
{
    private const long T0 = 1_795_000_020;

    private static MinuteRecord Noise(int minute)
    {
        var r = new MinuteRecord { T = T0 + 60L * minute, Q = minute % 2 == 0 ? 0 : QualityBits.ClockUnsynced };
        r.Set(Channel.Laeq, 50 + minute % 30 + 0.1);
        r.Set(Channel.Lafmax, 70 + minute % 20);
        return r;
    }

    private static RecordJournal Open(FakeFlash flash)
    {
        var journal = new RecordJournal(flash);
        journal.Open();
        return journal;
    }

    private static List<MinuteRecord> PeekAll(RecordJournal journal)
    {
        var buffer = Enumerable.Range(0, RecordJournal.MaxBatch).Select(_ => new MinuteRecord()).ToArray();
        int n = journal.Peek(buffer, buffer.Length);
        return buffer.Take(n).ToList();
    }

    [Fact]
    public void Holds_72_hours_of_minute_records_in_512_KB()
    {
        var journal = Open(new FakeFlash(512 * 1024, 4096));
        Assert.True(RecordJournal.SlotBytes <= 110, $"slot is {RecordJournal.SlotBytes} bytes");
        Assert.True(journal.Capacity >= 72 * 60, $"capacity is {journal.Capacity}");
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
        var flash = new FakeFlash();
        var journal = Open(flash);
        for (int m = 0; m < 5; m++) journal.Append(Noise(m));

        var batch = PeekAll(journal);
        Assert.Equal([1u, 2u, 3u, 4u, 5u], batch.Select(r => r.Seq));
        Assert.Equal(Enumerable.Range(0, 5).Select(m => T0 + 60L * m), batch.Select(r => r.T));
        Assert.Equal(50.1, batch[0].Get(Channel.Laeq), 9);

        journal.Acknowledge(2);
        Assert.Equal(3, journal.Pending);
        Assert.Equal([3u, 4u, 5u], PeekAll(journal).Select(r => r.Seq));

        // Without PUBACK nothing is removed, even across a reboot.
        var rebooted = Open(flash);
        Assert.Equal(3, rebooted.Pending);
        Assert.Equal([3u, 4u, 5u], PeekAll(rebooted).Select(r => r.Seq));
    }

    [Fact]
    public void Sequence_numbers_keep_increasing_across_reboots()
    {
        var flash = new FakeFlash();
        var journal = Open(flash);
        for (int m = 0; m < 3; m++) journal.Append(Noise(m));
        PeekAll(journal);
        journal.Acknowledge(3);

        var rebooted = Open(flash);
        var next = Noise(3);
        rebooted.Append(next);

        Assert.Equal(4u, next.Seq);
        Assert.Equal(0, Open(flash).Pending - 1);
    }

    [Fact]
    public void Ring_wraps_over_sectors_and_keeps_newest_data_when_full()
    {
        // 8 small sectors; one is always kept free for erasing.
        var flash = new FakeFlash(8 * 512, 512);
        var journal = Open(flash);
        int slotsPerSector = (512 - RecordJournal.SectorHeaderBytes) / RecordJournal.SlotBytes;
        Assert.Equal(7 * slotsPerSector, journal.Capacity);

        // Deliver as we go for three laps: nothing lost.
        for (int m = 0; m < 130; m++)
        {
            journal.Append(Noise(m));
            if (m % 5 == 4)
            {
                int n = PeekAll(journal).Count;
                journal.Acknowledge(n);
            }
        }
        Assert.Equal(0, journal.DroppedRecords);
        Assert.Equal(0, journal.Pending);

        // Offline for longer than the capacity: the oldest are dropped, the newest kept, in order.
        for (int m = 130; m < 230; m++) journal.Append(Noise(m));
        var kept = PeekAll(Open(flash));
        Assert.InRange(kept.Count, journal.Capacity, 8 * slotsPerSector);
        Assert.Equal(230u, kept[^1].Seq);
        Assert.Equal(Enumerable.Range((int)kept[0].Seq, kept.Count).Select(i => (uint)i), kept.Select(r => r.Seq));
        Assert.True(journal.DroppedRecords > 0);
        Assert.Equal(kept.Count, Open(flash).Pending);
    }

    [Fact]
    public void Power_loss_at_every_byte_of_a_record_write_loses_at_most_that_record()
    {
        var reference = new FakeFlash(8 * 4096, 4096);
        var seed = Open(reference);
        for (int m = 0; m < 3; m++) seed.Append(Noise(m));
        var before = reference.Snapshot();
        long writtenBefore = reference.BytesWritten;
        seed.Append(Noise(3));
        int recordBytes = (int)(reference.BytesWritten - writtenBefore);
        Assert.InRange(recordBytes, RecordCodec.HeaderBytes + 2 + 4, RecordJournal.SlotBytes - 1);

        for (int budget = 0; budget <= recordBytes; budget++)
        {
            var flash = FlashFrom(before, 8 * 4096, 4096);
            var journal = Open(flash);
            flash.WriteBudget = budget;
            bool completed = true;
            try { journal.Append(Noise(3)); }
            catch (PowerLossException) { completed = false; }
            flash.WriteBudget = null;

            var rebooted = Open(flash);
            var seqs = PeekAll(rebooted).Select(r => r.Seq).ToList();
            Assert.Equal(completed ? [1u, 2u, 3u, 4u] : [1u, 2u, 3u], seqs);

            // The journal goes on working and never reuses a number that was stored.
            var next = Noise(4);
            rebooted.Append(next);
            Assert.Equal(completed ? 5u : 4u, next.Seq);
            Assert.Equal(seqs.Append(next.Seq), PeekAll(Open(flash)).Select(r => r.Seq));
        }
    }

    [Fact]
    public void Power_loss_at_every_byte_while_starting_a_new_sector_is_recovered()
    {
        const int sector = 512;
        var reference = new FakeFlash(4 * sector, sector);
        var seed = Open(reference);
        int slotsPerSector = (sector - RecordJournal.SectorHeaderBytes) / RecordJournal.SlotBytes;
        for (int m = 0; m < slotsPerSector; m++) seed.Append(Noise(m)); // fills sector 0 exactly
        var before = reference.Snapshot();
        long writtenBefore = reference.BytesWritten;
        seed.Append(Noise(slotsPerSector)); // erase sector 1, header, record
        int bytes = (int)(reference.BytesWritten - writtenBefore);
        Assert.True(bytes > RecordJournal.SectorHeaderBytes);

        for (int budget = 0; budget <= bytes; budget++)
        {
            var flash = FlashFrom(before, 4 * sector, sector);
            var journal = Open(flash);
            flash.WriteBudget = budget;
            bool completed = true;
            try { journal.Append(Noise(slotsPerSector)); }
            catch (PowerLossException) { completed = false; }
            flash.WriteBudget = null;

            var rebooted = Open(flash);
            var expected = Enumerable.Range(1, completed ? slotsPerSector + 1 : slotsPerSector).Select(i => (uint)i).ToList();
            Assert.Equal(expected, PeekAll(rebooted).Select(r => r.Seq));
            var next = Noise(slotsPerSector + 1);
            rebooted.Append(next);
            Assert.Equal((uint)expected.Count + 1, next.Seq);
        }
    }

    [Fact]
    public void Power_loss_while_marking_a_delivery_sends_the_record_again_at_worst()
    {
        var flash = new FakeFlash();
        var journal = Open(flash);
        for (int m = 0; m < 3; m++) journal.Append(Noise(m));
        PeekAll(journal);
        flash.WriteBudget = 1; // the first ack byte is written, then power goes
        Assert.Throws<PowerLossException>(() => journal.Acknowledge(3));
        flash.WriteBudget = null;

        Assert.Equal([2u, 3u], PeekAll(Open(flash)).Select(r => r.Seq));
    }

    [Fact]
    public void A_corrupted_record_is_skipped_not_fatal()
    {
        var flash = new FakeFlash(4 * 4096, 4096);
        var journal = Open(flash);
        for (int m = 0; m < 3; m++) journal.Append(Noise(m));
        // Flip bits inside the second record's payload (NOR can only clear bits).
        flash.Write(RecordJournal.SectorHeaderBytes + RecordJournal.SlotBytes + 8, [0x00], 0, 1);

        var rebooted = Open(flash);
        Assert.Equal([1u, 3u], PeekAll(rebooted).Select(r => r.Seq));
        Assert.Equal(1, rebooted.CorruptSlots);
    }

    [Fact]
    public void A_puback_for_records_erased_by_ring_wrap_marks_nothing_newer()
    {
        var flash = new FakeFlash(4 * 512, 512);
        var journal = Open(flash);
        journal.Append(Noise(0));
        Assert.Single(PeekAll(journal));           // in flight: seq 1, in sector 0

        for (int m = 1; m < 40; m++) journal.Append(Noise(m)); // wraps and erases sector 0
        journal.Acknowledge(1);                    // the late PUBACK for seq 1

        // 40 records fill the 4 sectors exactly twice: all of the second lap must still be pending.
        int slotsPerSector = (512 - RecordJournal.SectorHeaderBytes) / RecordJournal.SlotBytes;
        Assert.Equal(0, 40 % (4 * slotsPerSector));
        var left = PeekAll(Open(flash));
        Assert.Equal(4 * slotsPerSector, left.Count);
        Assert.Equal(40u, left[^1].Seq);
        Assert.Equal(Enumerable.Range((int)left[0].Seq, left.Count).Select(i => (uint)i), left.Select(r => r.Seq));
        Assert.True(journal.DroppedRecords > 0);
    }

    private static FakeFlash FlashFrom(byte[] image, int size, int sectorSize)
    {
        var flash = new FakeFlash(size, sectorSize);
        for (int s = 0; s < size / sectorSize; s++) flash.EraseSector(s);
        flash.Write(0, image, 0, image.Length);
        return flash;
    }
}
