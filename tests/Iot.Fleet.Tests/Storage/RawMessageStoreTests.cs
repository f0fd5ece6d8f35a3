using System.Security.Cryptography;
using System.Text;
using Dapper;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;
using Xunit;

namespace Iot.Fleet.Tests.Storage;

/// <summary>Raw messages move from the hot table into compressed segments and stay readable, byte for byte, through the
/// same API; ids are never used twice; a crash's leftovers are cleaned; trimming drops only blocks nothing refers to.</summary>
public sealed class RawMessageStoreTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1795000800);
    private readonly string _dir = Directory.CreateTempSubdirectory("iot-raw-").FullName;
    private readonly FleetDatabase _database;
    private readonly RawMessageStore _store;
    private readonly RecordJournal _journal;

    public RawMessageStoreTests()
    {
        _database = new FleetDatabase($"Data Source={_dir}/fleet.db");
        _database.Migrate();
        using (var connection = _database.Open())
            connection.Execute("INSERT INTO evidence_keys (id, dev, key, created_at, source) VALUES (7, 'NS-0002', @key, 0, 'test')", new { key = new byte[32] });
        _store = new RawMessageStore(_database, Path.Combine(_dir, "raw"));
        _journal = new RecordJournal(_database, _store);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A signed-looking envelope of one minute record (the MAC is random: the store keeps bytes, it does not judge them).</summary>
    private static AcceptedTelemetry Message(string device, uint seq)
    {
        var t = 1794000000 + seq * 60;
        var body = "{\"v\":1,\"dev\":\"" + device + "\",\"fw\":\"1.4.2\",\"boot\":3,\"recs\":[{\"seq\":" + seq + ",\"t\":" + t
            + ",\"dur\":60,\"q\":0,\"m\":{\"laeq\":" + (50 + seq % 23) + "." + seq % 10 + ",\"lafmax\":" + (70 + seq % 11) + ".2,\"pm25\":" + (10 + seq % 40) + "}}]";
        var mac = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var payload = Encoding.UTF8.GetBytes(body + $$""","mac":"{{mac}}"}""");
        return new AcceptedTelemetry($"iot/v1/{device}/telemetry", payload, MessageParser.ParseTelemetry(device, payload, Now), "S1")
        {
            Proof = seq % 2 == 0 ? new MessageProof(ProofStatus.Verified, mac, 7, body.Length) : MessageProof.Unproven,
        };
    }

    private List<AcceptedTelemetry> StoreMinutes(int devices, uint fromSeq, uint toSeq, DateTimeOffset at)
    {
        var sent = new List<AcceptedTelemetry>();
        for (var seq = fromSeq; seq <= toSeq; seq++)
        {
            var batch = Enumerable.Range(1, devices).Select(d => Message($"NS-{d:D4}", seq)).ToList();
            _journal.Store(batch, [], [], [], at);
            sent.AddRange(batch);
        }
        return sent;
    }

    private long Hot()
    {
        using var connection = _database.Open();
        return connection.ExecuteScalar<long>("SELECT COUNT(*) FROM messages");
    }

    private string[] SegmentFiles() => Directory.Exists(_store.Directory)
        ? Directory.GetFiles(_store.Directory, "*", SearchOption.AllDirectories) : [];

    [Fact]
    public void Imported_messages_read_back_from_their_segment_and_a_rolled_back_import_leaves_only_an_orphan_file()
    {
        var messages = Enumerable.Range(1, 600).Select(i => new RawMessage(i, $"iot/v1/NS-{i % 7:D4}/telemetry",
            RandomNumberGenerator.GetBytes(100 + i % 50), Now.AddSeconds(-i), i % 2 == 0 ? new MessageProof(ProofStatus.Verified, "ab", 7, 90) : null)).ToList();
        using (var connection = _database.Open())
        {
            using var tx = connection.BeginTransaction();
            _store.Import(messages, Now, connection, tx);
            tx.Commit();
        }

        var read = _store.Get(messages.Select(m => m.Id).ToList());
        Assert.Equal(600, read.Count);
        foreach (var m in messages)
        {
            Assert.Equal(m.Payload, read[m.Id].Payload);
            Assert.Equal(m.Topic, read[m.Id].Topic);
            Assert.Equal(m.Proof, read[m.Id].Proof);
        }
        Assert.Equal(0, Hot());
        // New ids go on after the imported ones.
        using (var connection = _database.Open()) Assert.Equal(600, connection.ExecuteScalar<long>(RawMessageStore.HighestIdSql));

        using (var connection = _database.Open())
        {
            using var tx = connection.BeginTransaction();
            _store.Import([new RawMessage(601, "iot/v1/NS-0001/telemetry", [1, 2, 3], Now, null)], Now, connection, tx);
            tx.Rollback();
        }
        Assert.Null(_store.Get(601));
        Assert.Equal(1, _store.RemoveOrphans());
        Assert.Equal(600, _store.Get(messages.Select(m => m.Id).ToList()).Count);
    }

    [Fact]
    public void Moved_messages_read_back_byte_for_byte_with_their_proofs_and_new_ids_go_on_after_them()
    {
        var sent = StoreMinutes(devices: 5, 1, 120, Now.AddHours(-1));
        var before = sent.Select(m => _journal.MessageOf(m.Envelope.Device, m.Envelope.Records[0].Seq)!).ToList();

        var moved = _store.Compact(Now);

        Assert.Equal(600, moved.Messages);
        Assert.Equal(0, Hot());
        Assert.Single(SegmentFiles());
        for (var i = 0; i < sent.Count; i++)
        {
            var after = _journal.MessageOf(sent[i].Envelope.Device, sent[i].Envelope.Records[0].Seq)!;
            Assert.Equal(before[i].Id, after.Id);
            Assert.Equal(sent[i].Payload, after.Payload);
            Assert.Equal(sent[i].Topic, after.Topic);
            Assert.Equal(before[i].ReceivedAt, after.ReceivedAt);
            Assert.Equal(sent[i].Proof, after.Proof);
        }
        var proofs = _journal.ProofsBetween("NS-0003", 1794000000, 1794000000 + 121 * 60);
        Assert.Equal(120, proofs.Count);
        Assert.Equal(ProofStatus.Verified, proofs[2]!.Status);
        Assert.Equal(ProofStatus.Unproven, proofs[3]!.Status);

        // The hot table is empty now: the next message still gets an id after every moved one.
        var next = Message("NS-0001", 500);
        _journal.Store([next], [], [], [], Now);
        var stored = _journal.MessageOf("NS-0001", 500)!;
        Assert.Equal(before.Max(m => m.Id) + 1, stored.Id);
        Assert.Equal(next.Payload, stored.Payload);
        Assert.Equal(before[17].Payload, _store.Get(before[17].Id)!.Payload);
    }

    [Fact]
    public void Segments_are_several_times_smaller_than_the_payloads_they_hold()
    {
        var sent = StoreMinutes(devices: 20, 1, 60, Now.AddHours(-1));
        var moved = _store.Compact(Now);

        var payloadBytes = sent.Sum(m => (long)m.Payload.Length);
        Assert.Equal(moved.Bytes, SegmentFiles().Sum(f => new FileInfo(f).Length));
        // Each payload carries 64 hex digits of MAC that do not compress below 32 bytes; the rest is repetitive JSON.
        Assert.True(moved.Bytes * 3 < payloadBytes, $"{moved.Bytes} bytes of segments for {payloadBytes} bytes of payloads");
    }

    [Fact]
    public void Files_a_crash_left_unindexed_are_deleted_and_the_hot_rows_moved_again()
    {
        StoreMinutes(devices: 3, 1, 10, Now.AddHours(-1));
        _store.Compact(Now);
        var indexed = Assert.Single(SegmentFiles());
        // A crash after a segment's rename but before its index commit leaves a file no row names, and its messages hot;
        // one killed mid-write leaves a temp file.
        var sent = StoreMinutes(devices: 3, 11, 20, Now.AddMinutes(-30));
        var orphan = Path.Combine(Path.GetDirectoryName(indexed)!, "000000000031-deadbeef.seg");
        File.Copy(indexed, orphan);
        File.WriteAllBytes(orphan.Replace("31-dead", "32-dead") + ".tmp", [1, 2, 3]);

        Assert.Equal(2, _store.RemoveOrphans());
        Assert.Equal([indexed], SegmentFiles());
        Assert.Equal(30, Hot());
        Assert.Equal(30, _store.Compact(Now).Messages);
        Assert.All(sent, m => Assert.Equal(m.Payload, _journal.MessageOf(m.Envelope.Device, m.Envelope.Records[0].Seq)!.Payload));
    }

    [Fact]
    public void Trim_keeps_every_block_a_record_still_refers_to_and_rewrites_a_segment_mostly_dead()
    {
        // 2 devices × 600 minutes: 1,200 messages, five blocks (256 each, the last 176) in one segment.
        StoreMinutes(devices: 2, 1, 600, Now.AddDays(-30));
        _store.Compact(Now.AddDays(-29));
        var first = Assert.Single(SegmentFiles());
        var firstBytes = new FileInfo(first).Length;
        var kept = _journal.MessageOf("NS-0002", 100)!; // the 200th message: in the first block

        // Nothing goes while records refer to the messages, nor what is newer than the cut.
        Assert.Equal(0, _store.Trim(Now.AddDays(-20)).Messages);
        using (var connection = _database.Open())
            connection.Execute("DELETE FROM records WHERE NOT (dev = 'NS-0002' AND seq = 100)");
        Assert.Equal(0, _store.Trim(Now.AddDays(-31)).Messages);
        Assert.Equal([first], SegmentFiles());

        // With one record left (a lead's evidence, say) only its block stays, copied into a new, smaller segment.
        var trimmed = _store.Trim(Now.AddDays(-20));
        Assert.Equal(1200 - RawMessageStore.BlockMessages, trimmed.Messages);
        var rewritten = Assert.Single(SegmentFiles());
        Assert.NotEqual(first, rewritten);
        Assert.True(new FileInfo(rewritten).Length * 3 < firstBytes, $"{new FileInfo(rewritten).Length} of {firstBytes} bytes");
        Assert.Equal(kept.Payload, _journal.MessageOf("NS-0002", 100)!.Payload);
        Assert.Equal(kept.Proof, _journal.MessageOf("NS-0002", 100)!.Proof);
        Assert.NotNull(_store.Get(kept.Id - 1)); // its block's neighbours stay with it
        Assert.Null(_store.Get(kept.Id + 300));

        // When the last record goes, so does the segment.
        using (var connection = _database.Open())
            connection.Execute("DELETE FROM records");
        Assert.Equal(RawMessageStore.BlockMessages, _store.Trim(Now.AddDays(-20)).Messages);
        Assert.Empty(SegmentFiles());
        Assert.Null(_store.Get(kept.Id));
    }
}
