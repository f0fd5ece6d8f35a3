using System.Text;
using Dapper;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;
using Xunit;

namespace Iot.Fleet.Tests.Storage;

/// <summary>The journal stores each (dev, seq) once and keeps the raw message of every record it stored.</summary>
public sealed class RecordJournalTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1795000800);
    private readonly string _dir = Directory.CreateTempSubdirectory("iot-journal-").FullName;
    private readonly FleetDatabase _database;
    private readonly RecordJournal _journal;

    public RecordJournalTests()
    {
        _database = new FleetDatabase(Iot.Testing.TestDatabase.For(_dir));
        _database.Migrate();
        _journal = new RecordJournal(_database, new RawMessageStore(_database, Path.Combine(_dir, "raw")));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static AcceptedTelemetry Message(string device, params uint[] seqs)
    {
        var recs = string.Join(",", seqs.Select(s => $$$"""{"seq":{{{s}}},"t":{{{1794000000 + s * 60}}},"dur":60,"q":0,"m":{"laeq":{{{50 + s % 100}}}}}"""));
        var payload = Encoding.UTF8.GetBytes($$"""{"v":1,"dev":"{{device}}","fw":"1.0.0","recs":[{{recs}}]}""");
        return new AcceptedTelemetry($"iot/v1/{device}/telemetry", payload, MessageParser.ParseTelemetry(device, payload, Now), "S1");
    }

    private IReadOnlyList<TelemetryRecord> Store(params AcceptedTelemetry[] messages) => _journal.Store(messages, [], [], [], Now).Records;

    private (long Records, long Messages) Counts()
    {
        using var connection = _database.Open();
        return (connection.ExecuteScalar<long>("SELECT COUNT(*) FROM records"), connection.ExecuteScalar<long>("SELECT COUNT(*) FROM messages"));
    }

    [Fact]
    public void A_record_sent_twice_in_one_batch_is_stored_once_and_its_second_message_is_not_kept()
    {
        var fresh = Store(Message("NS-0001", 1), Message("NS-0002", 1), Message("NS-0001", 1));

        Assert.Equal([("NS-0001", 1u), ("NS-0002", 1u)], fresh.Select(r => (r.Device, r.Seq)));
        Assert.True(fresh[0].RowId < fresh[1].RowId);
        Assert.All(fresh, r => Assert.Equal("S1", r.Site));
        Assert.Equal((2L, 2L), Counts());
    }

    [Fact]
    public void A_batch_stored_again_adds_nothing()
    {
        Store(Message("NS-0001", 1, 2), Message("NS-0002", 7));
        var again = Store(Message("NS-0001", 1, 2), Message("NS-0002", 7));

        Assert.Empty(again);
        Assert.Equal((3L, 2L), Counts());
    }

    [Fact]
    public void Every_new_record_points_at_the_raw_message_that_brought_it()
    {
        Store(Message("NS-0001", 1));
        var second = Message("NS-0001", 1, 2, 3); // a resend that also carries two new records
        var fresh = Store(second);

        Assert.Equal([2u, 3u], fresh.Select(r => r.Seq));
        using var connection = _database.Open();
        var payloads = connection.Query<byte[]>(
            "SELECT m.payload FROM records r JOIN messages m ON m.id = r.message_id WHERE r.dev = 'NS-0001' ORDER BY r.seq").ToList();
        Assert.Equal(3, payloads.Count);
        Assert.Equal(second.Payload, payloads[1]);
        Assert.Equal(second.Payload, payloads[2]);
        Assert.NotEqual(second.Payload, payloads[0]);
    }

    [Fact]
    public void Row_order_follows_arrival_order_across_a_large_batch()
    {
        var messages = Enumerable.Range(1, 450).Select(i => Message($"NS-{i % 7:D4}", (uint)i)).ToArray();
        var fresh = Store(messages);

        Assert.Equal(messages.Select(m => m.Envelope.Records[0].Seq), fresh.Select(r => r.Seq));
        Assert.Equal(fresh.Select(r => r.RowId).Order(), fresh.Select(r => r.RowId));
    }

    [Fact]
    public void Telemetry_marks_a_device_online_unless_the_same_batch_reports_its_status()
    {
        _journal.Store([Message("NS-0001", 1), Message("NS-0002", 1)], [], [],
            [new DeviceStatus("NS-0002", false, null, null, null, null, null, null, null)], Now);

        using var connection = _database.Open();
        var online = connection.Query<(string dev, long? online)>("SELECT dev, online FROM device_state ORDER BY dev").ToList();
        Assert.Equal([("NS-0001", (long?)1), ("NS-0002", (long?)0)], online);
    }

    [Fact]
    public void The_city_sweep_reads_each_registered_devices_latest_minute_as_the_one_device_query_does()
    {
        using (var connection = _database.Open())
        {
            connection.Execute("INSERT INTO sites (id, name, kind, timezone, profile, business_hours, created_at) VALUES ('S1', 'S1', 'noise', 'Asia/Shanghai', 'default', '', 0)");
            foreach (var dev in new[] { "NS-0001", "NS-0002", "NS-SILENT" })
                connection.Execute("INSERT INTO devices (id, site, created_at) VALUES (@dev, 'S1', 0)", new { dev });
        }
        // Backfill stored after newer minutes: the latest is by time, not by arrival.
        Store(Message("NS-0001", 5, 9), Message("NS-0002", 3), Message("NS-UNKNOWN", 4));
        Store(Message("NS-0001", 7));

        var latest = _journal.LatestMinutes();

        Assert.Equal(["NS-0001", "NS-0002"], latest.Keys.Order());
        Assert.Equal(_journal.LatestMinute(["NS-0001"]), latest["NS-0001"]);
        Assert.Equal((1794000000 + 9 * 60 + 59) / 60, latest["NS-0001"]);
        Assert.Equal(_journal.LatestMinute(["NS-0002"]), latest["NS-0002"]);
    }

    [Fact]
    public void A_city_reconnecting_stores_every_devices_status_in_one_batch_and_the_last_status_of_a_device_counts()
    {
        // 450 gateways back at once (more than one statement's worth), one of them online and then gone (its will) in the
        // same batch, and one that was seen before and now reports offline.
        var earlier = Now.AddMinutes(-30);
        _journal.Store([], [], [], [new DeviceStatus("GW-OLD", true, "1.0.0", 4, null, null, null, null, 0)], earlier);
        var statuses = Enumerable.Range(0, 450).Select(i => new DeviceStatus($"GW-{i:D4}", true, "1.2.0", i, 60, -60, 50_000, "synced", i))
            .Append(new DeviceStatus("GW-0007", false, null, null, null, null, null, null, null))
            .Append(new DeviceStatus("GW-OLD", false, null, null, null, null, null, null, null)).ToList();
        _journal.Store([Message("GW-0001", 1), Message("GW-NEW", 1)], [], [], statuses, Now);

        using var connection = _database.Open();
        var rows = connection.Query<(string dev, long? last_seen, string? firmware, long? boot, long? online, string? status, long? buffered)>(
            "SELECT dev, last_seen, firmware, boot, online, status, buffered FROM device_state").ToDictionary(r => r.dev);
        Assert.Equal(452, rows.Count);
        Assert.Equal((Now.ToUnixTimeMilliseconds(), "1.2.0", 449L, 1L, 449L), (rows["GW-0449"].last_seen, rows["GW-0449"].firmware, rows["GW-0449"].boot, rows["GW-0449"].online, rows["GW-0449"].buffered));
        Assert.Contains("\"Rssi\":-60", rows["GW-0449"].status);
        // Its last word was offline; what its earlier status in the batch said (firmware, boot) is kept, as is last seen.
        Assert.Equal((0L, "1.2.0", 7L, Now.ToUnixTimeMilliseconds()), (rows["GW-0007"].online!.Value, rows["GW-0007"].firmware, rows["GW-0007"].boot!.Value, rows["GW-0007"].last_seen!.Value));
        // Offline does not move last seen.
        Assert.Equal((earlier.ToUnixTimeMilliseconds(), 0L, "1.0.0"), (rows["GW-OLD"].last_seen!.Value, rows["GW-OLD"].online!.Value, rows["GW-OLD"].firmware));
        // Telemetry of a device whose status is in the batch leaves online to the status; of another it sets it.
        Assert.Equal(1L, rows["GW-0001"].online);
        Assert.Equal((1L, Now.ToUnixTimeMilliseconds(), "1.0.0"), (rows["GW-NEW"].online!.Value, rows["GW-NEW"].last_seen!.Value, rows["GW-NEW"].firmware));
    }
}
