using System.Diagnostics;
using Iot.Fleet.Audit;
using Iot.Fleet.Health;
using Iot.Fleet.Operations;
using Iot.Fleet.Storage;
using Iot.Stack;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Iot.Benchmarks;

/// <summary>
/// `./iot bench storage`: bytes on disk per minute record in each store once the hot journal is bounded. A simulated
/// clock runs <c>days</c> days of <c>sites</c> gateways (one record a minute each) through the fleet's storage: the
/// journal (<see cref="RecordJournal.Store"/>), the raw segments (<see cref="RawMessageStore.Compact"/> every ten
/// simulated minutes, as the compactor does) and a real InfluxDB (the fleet's line protocol, its retention policies and
/// continuous query), with the retention trim (<see cref="RetentionTrim.Trim"/>) every six simulated hours keeping
/// <c>hotDays</c> days. Prints each store's size and bytes per record held, and what each further record costs in the
/// last simulated day (the steady state: the hot journal full, its size no longer growing).
/// </summary>
internal static class StorageBenchmark
{
    public static async Task<int> Run(int sites, int days, int hotDays)
    {
        Console.WriteLine($"Storage benchmark: {sites} gateways × {days} simulated days, one record a minute, hot journal {hotDays} days");
        var dir = Directory.CreateTempSubdirectory("iot-bench-storage-").FullName;
        try
        {
            using var influx = InfluxServer.Start();
            var file = Path.Combine(dir, "fleet.db");
            var database = new FleetDatabase($"Data Source={file}");
            database.Migrate();
            var raw = new RawMessageStore(database, Path.Combine(dir, "raw"));
            // The fleet's own InfluxDB set-up: database, two-year minutes, ten-year hourly means.
            await InfluxSetUp(influx);
            var end = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 86400 * 1440;
            var start = end - days * 1440L;
            var clock = new SimulatedClock(DateTimeOffset.FromUnixTimeSeconds(start * 60));
            var trim = new RetentionTrim(database, raw, new AuditLog(database, clock), new FixedOptions(new RetentionOptions { ReadingsDays = hotDays }),
                new FleetHealth(clock), NullLogger<RetentionTrim>.Instance, clock);
            var policy = new RetentionOptions { ReadingsDays = hotDays, EvidenceYears = 10 };
            using var history = new SyntheticHistory(database, raw, influx.Url);

            long total = 0;
            var watch = Stopwatch.StartNew();
            Sizes? dayBefore = null, last = null;
            TimeSpan storing = default, compacting = default, trimming = default;
            for (var minute = start; minute < end; minute += 10)
            {
                var step = Stopwatch.GetTimestamp();
                total += history.Store("CITY", sites, minute, minute + 10);
                storing += Stopwatch.GetElapsedTime(step);
                var now = DateTimeOffset.FromUnixTimeSeconds((minute + 10) * 60 + 1);
                clock.Now = now;
                step = Stopwatch.GetTimestamp();
                raw.Compact(now.AddMinutes(-10));
                compacting += Stopwatch.GetElapsedTime(step);
                step = Stopwatch.GetTimestamp();
                if ((minute + 10) % 360 == 0) trim.Trim(now, policy);
                trimming += Stopwatch.GetElapsedTime(step);
                if ((minute + 10) % 1440 == 0)
                {
                    history.Drain();
                    dayBefore = last;
                    last = Measure(database, file, raw, influx, total, now);
                    Console.WriteLine($"  day {(minute + 10 - start) / 1440,3}: {total,12:N0} records stored, SQL {last.Sql / 1e6,8:F1} MB, raw {last.Raw / 1e6,8:F1} MB, " +
                                      $"InfluxDB {last.Influx / 1e6,8:F1} MB   ({total / watch.Elapsed.TotalSeconds:N0} records/s; " +
                                      $"store {storing.TotalSeconds:F0} s, compact {compacting.TotalSeconds:F0} s, trim {trimming.TotalSeconds:F0} s)");
                }
            }
            history.Drain();
            // InfluxDB writes its cache to TSM files when it has been cold for a while; wait for its WAL to empty.
            var final = Measure(database, file, raw, influx, total, clock.Now);
            var held = HeldRecords(database);
            Console.WriteLine();
            Console.WriteLine($"  steady state after {days} days ({held:N0} records in the hot journal, {total:N0} ingested):");
            Console.WriteLine($"  {"store",-28}{"bytes",16}{"B/record held",16}{"B/record, last day",22}");
            var perDay = dayBefore is null ? null : (double?)(final.Records - dayBefore.Records);
            void Row(string name, long bytes, long records, long? before)
            {
                var marginal = perDay is { } n && before is { } b ? ((bytes - b) / n).ToString("F1", System.Globalization.CultureInfo.InvariantCulture) : "";
                Console.WriteLine($"  {name,-28}{bytes,16:N0}{(double)bytes / records,16:F1}{marginal,22}");
            }
            Row("SQL database (hot journal)", final.Sql, held, dayBefore?.Sql);
            Row("raw segments", final.Raw, held, dayBefore?.Raw);
            Row("InfluxDB folder", final.Influx, total, dayBefore?.Influx);
            Row("all stores", final.Sql + final.Raw + final.Influx, total, dayBefore is null ? null : dayBefore.Sql + dayBefore.Raw + dayBefore.Influx);
            // A year: the hot journal and the raw segments stay as they are now (bounded), InfluxDB grows by what the last
            // day cost per record (its own fixed files included once).
            var year = 365.0 * 1440 * sites;
            var influxPerRecord = perDay is { } day && dayBefore is not null ? (final.Influx - dayBefore.Influx) / day : (double)final.Influx / total;
            var yearBytes = final.Sql + final.Raw + final.Influx + influxPerRecord * (year - total);
            Console.WriteLine($"  a year of these {sites} gateways ({year:N0} records): {yearBytes / 1e9:F2} GB, {yearBytes / year:F1} bytes/record   target ≤ 60");
            var met = yearBytes / year <= 60;
            Console.WriteLine(met ? "  target met" : "  TARGET NOT MET");
            return met ? 0 : 1;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed record Sizes(long Records, long Sql, long Raw, long Influx);

    private static Sizes Measure(FleetDatabase database, string file, RawMessageStore raw, InfluxServer influx, long records, DateTimeOffset now) =>
        new(records, SyntheticHistory.DatabaseBytes(database, file), SyntheticHistory.FolderBytes(raw.Directory), SyntheticHistory.FolderBytes(influx.StateDirectory));

    private static long HeldRecords(FleetDatabase database)
    {
        using var connection = database.Open();
        return Dapper.SqlMapper.ExecuteScalar<long>(connection, "SELECT COUNT(*) FROM records");
    }

    /// <summary>What InfluxWriter does at its start: the database, its retention policies and the hourly continuous query.</summary>
    public static async Task InfluxSetUp(InfluxServer influx)
    {
        using var http = new HttpClient { BaseAddress = influx.Url };
        foreach (var (create, whenItExists) in InfluxRetention.Statements(new Iot.Fleet.Storage.InfluxOptions()))
            (await http.PostAsync("query", new FormUrlEncodedContent(new Dictionary<string, string> { ["q"] = create }))).EnsureSuccessStatusCode();
    }

    private sealed class SimulatedClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class FixedOptions(RetentionOptions value) : IOptionsMonitor<RetentionOptions>
    {
        public RetentionOptions CurrentValue => value;
        public RetentionOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<RetentionOptions, string?> listener) => null;
    }
}
