using System.Text;
using Dapper;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;
using Iot.Testing;
using Xunit;

namespace Iot.Fleet.Tests.Storage;

/// <summary>
/// Where PostgreSQL behaves unlike SQLite: writers do not queue by themselves. Two fleets (or two stages) on one database
/// write at once, so these run on the test run's private PostgreSQL whichever database the other tests use.
/// </summary>
public sealed class PostgresTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1795000800);

    private static AcceptedTelemetry Message(string device, params uint[] seqs)
    {
        var recs = string.Join(",", seqs.Select(s => $$$"""{"seq":{{{s}}},"t":{{{1794000000 + s * 60}}},"dur":60,"q":0,"m":{"laeq":{{{50 + s % 100}}}}}"""));
        var payload = Encoding.UTF8.GetBytes($$"""{"v":1,"dev":"{{device}}","fw":"1.0.0","recs":[{{recs}}]}""");
        return new AcceptedTelemetry($"iot/v1/{device}/telemetry", payload, MessageParser.ParseTelemetry(device, payload, Now), "S1");
    }

    [Fact]
    public async Task Two_writers_storing_the_same_records_at_once_store_each_once_with_one_raw_message()
    {
        var connectionString = TestDatabase.Fresh();
        using var first = new FleetDatabase(connectionString);
        using var second = new FleetDatabase(connectionString);
        first.Migrate();
        var journals = new[] { new RecordJournal(first, Raw(first)), new RecordJournal(second, Raw(second)) };
        using var start = new Barrier(journals.Length);

        // Both store the same 40 batches (a gateway's resend reaching two fleet instances), racing batch by batch.
        var stored = await Task.WhenAll(journals.Select(journal => Task.Run(() =>
        {
            var fresh = new List<TelemetryRecord>();
            for (uint batch = 0; batch < 40; batch++)
            {
                start.SignalAndWait();
                fresh.AddRange(journal.Store([Message("PG-0001", batch * 3 + 1, batch * 3 + 2, batch * 3 + 3)], [], [], [], Now).Records);
            }
            return fresh;
        })));

        Assert.Equal(120, stored.Sum(s => s.Count));
        Assert.Equal(120, stored.SelectMany(s => s).Select(r => r.Seq).Distinct().Count());
        using var connection = first.Open();
        Assert.Equal(120L, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM records WHERE dev = 'PG-0001'"));
        Assert.Equal(40L, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM messages"));
        Assert.Equal(0L, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM records r WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = r.message_id)"));
    }

    [Fact]
    public async Task A_follower_of_the_journal_misses_no_record_while_writers_commit_side_by_side()
    {
        var connectionString = TestDatabase.Fresh();
        using var database = new FleetDatabase(connectionString);
        database.Migrate();
        const int writers = 4, batches = 60;
        // Each writer its own FleetDatabase (pool), as separate fleet instances would be.
        var writing = Enumerable.Range(0, writers).Select(w => Task.Run(() =>
        {
            using var own = new FleetDatabase(connectionString);
            var journal = new RecordJournal(own, Raw(own));
            for (uint b = 0; b < batches; b++) journal.Store([Message($"PG-W{w}", b * 2 + 1, b * 2 + 2)], [], [], [], Now);
        })).ToArray();

        // The InfluxDB writer's and the rules' way of reading: everything after the last row id seen. A row id committed
        // after a higher one would be skipped for ever; the writer lock keeps commits in row id order.
        var follower = new RecordJournal(database, Raw(database));
        var seen = new List<TelemetryRecord>();
        long cursor = 0;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (seen.Count < writers * batches * 2 && DateTime.UtcNow < deadline)
        {
            var next = follower.ReadAfter(cursor, 50);
            seen.AddRange(next);
            if (next.Count > 0) cursor = next[^1].RowId;
            else await Task.Delay(1);
        }
        await Task.WhenAll(writing);
        seen.AddRange(follower.ReadAfter(cursor, 10_000));

        Assert.Equal(writers * batches * 2, seen.Count);
        Assert.Equal(seen.Count, seen.Select(r => (r.Device, r.Seq)).Distinct().Count());
        Assert.Equal(seen.Select(r => r.RowId).Order(), seen.Select(r => r.RowId));
    }

    [Fact]
    public async Task Two_fleets_starting_at_once_run_each_migration_step_once()
    {
        var connectionString = TestDatabase.Fresh();
        var versions = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            using var database = new FleetDatabase(connectionString);
            return database.Migrate();
        })));

        Assert.All(versions, v => Assert.Equal(PostgresMigrations.Steps.Count, v));
        using var check = new FleetDatabase(connectionString);
        using var connection = check.Open();
        Assert.Equal(Enumerable.Range(1, PostgresMigrations.Steps.Count).Select(v => (long)v),
            connection.Query<long>("SELECT version FROM schema_version ORDER BY version"));
    }

    [Fact]
    public void Profile_ids_stay_unique_whatever_their_case_as_on_SQLite()
    {
        using var database = new FleetDatabase(TestDatabase.Fresh());
        database.Migrate();
        using var connection = database.Open();
        const string insert =
            """
            INSERT INTO rule_profiles (id, version, name, source, origin, valid_from, night_starts, night_ends, fog_humidity, rules, created_at, created_by)
            VALUES (@id, 1, 'x', 'test', 'api', 0, '22:00', '06:00', 95, '{}', 0, 'test')
            """;
        connection.Execute(insert, new { id = "Beijing-Site" });
        Assert.ThrowsAny<System.Data.Common.DbException>(() => connection.Execute(insert, new { id = "beijing-site" }));
    }

    /// <summary>Raw messages of a test database: the hot table, and segment files in a folder of the test's own (these tests
    /// write fewer messages than the compactor waits for).</summary>
    private static RawMessageStore Raw(FleetDatabase database) =>
        new(database, Path.Combine(Path.GetTempPath(), $"iot-pg-raw-{Guid.NewGuid():N}"));
}
