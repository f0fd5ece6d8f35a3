using System.Globalization;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Iot.Fleet.Leads;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;

namespace Iot.Benchmarks;

/// <summary>
/// Minute records of a city's gateways, as they arrive, stored through the fleet's own storage APIs: one telemetry
/// envelope per record (with the device's MAC, as gateways with an evidence key send it), parsed by the fleet's
/// parser, stored by <see cref="RecordJournal.Store"/> in ingest-sized batches, raw messages moved into segments by
/// <see cref="RawMessageStore.Compact"/>, and the same readings written to InfluxDB as the fleet's line protocol.
/// </summary>
internal sealed class SyntheticHistory(FleetDatabase database, RawMessageStore raw, Uri influx) : IDisposable
{
    private static readonly string[] Kinds = ["noise", "dust", "fume"];
    private readonly RecordJournal _journal = new(database, raw);
    private readonly HttpClient _http = new() { BaseAddress = influx, Timeout = TimeSpan.FromMinutes(5) };
    private readonly List<Task> _writes = [];

    public RecordJournal Journal => _journal;

    public static string Device(string prefix, int i) => $"{prefix}-{i:D5}";

    /// <summary>The envelope gateway <paramref name="d"/> sends for minute <paramref name="minute"/> (its seq is the minute).</summary>
    public static byte[] Payload(string device, int d, long minute)
    {
        // One decimal of pseudo-random wobble, as meters report: values that repeat would compress better than real ones.
        var hash = unchecked((ulong)(minute * 2654435761L + d * 40503L) * 0x9E3779B97F4A7C15UL);
        var v = (int)((hash >> 40) % 100) / 10.0;
        var c = CultureInfo.InvariantCulture;
        var m = Kinds[d % 3] switch
        {
            "noise" => string.Create(c, $"{{\"laeq\":{52 + (minute + d) % 9 + v},\"lafmax\":{60 + (minute + d) % 13 + v}}}"),
            "dust" => string.Create(c, $"{{\"pm10\":{60 + (minute + d) % 40 + v},\"pm25\":{30 + (minute + d) % 20 + v},\"rh\":{50 + (minute / 60 + d) % 30}}}"),
            _ => string.Create(c, $"{{\"fume\":{0.6 + v / 10:0.###},\"fan\":1,\"pur\":1}}"),
        };
        var body = $"{{\"v\":1,\"dev\":\"{device}\",\"fw\":\"1.4.2\",\"boot\":3,\"recs\":[{{\"seq\":{minute % 4_000_000_000},\"t\":{minute * 60},\"dur\":60,\"q\":0,\"m\":{m}}}]";
        return Encoding.UTF8.GetBytes(body + ",\"mac\":\"" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) + "\"}");
    }

    /// <summary>Stores the minutes [fromMinute, toMinute) of gateways [0, devices), received at the end of each minute
    /// (<paramref name="receivedAt"/> overrides), in batches of 5,000 messages; InfluxDB gets the same readings.</summary>
    public long Store(string prefix, int devices, long fromMinute, long toMinute, Func<long, DateTimeOffset>? receivedAt = null)
    {
        long stored = 0;
        var batch = new List<AcceptedTelemetry>(5000);
        var lines = new StringBuilder();
        for (var minute = fromMinute; minute < toMinute; minute++)
        {
            var at = receivedAt?.Invoke(minute) ?? DateTimeOffset.FromUnixTimeSeconds(minute * 60 + 61);
            for (var d = 0; d < devices; d++)
            {
                var device = Device(prefix, d);
                var payload = Payload(device, d, minute);
                var proof = new MessageProof(ProofStatus.Verified, Encoding.ASCII.GetString(payload, payload.Length - 66, 64), null, payload.Length - 74);
                batch.Add(new AcceptedTelemetry($"iot/v1/{device}/telemetry", payload, MessageParser.ParseTelemetry(device, payload, at), $"S-{device}") { Proof = proof });
                if (batch.Count == 5000) stored += Flush(batch, lines, at);
            }
        }
        stored += Flush(batch, lines, receivedAt?.Invoke(toMinute - 1) ?? DateTimeOffset.FromUnixTimeSeconds(toMinute * 60 + 1));
        return stored;
    }

    /// <summary>
    /// The same records as <see cref="Store"/>, written fast for a long history: gateway by gateway, each one's minutes
    /// [<paramref name="fromMinute"/>, <paramref name="toMinute"/>) in order, so every index of the journal (dev, seq;
    /// dev, t; message id) grows at its end instead of at 10,000 places a minute. Plain INSERTs of the records (no
    /// parsing, no duplicate checks: the minutes are new), the raw messages straight into segments
    /// (<see cref="RawMessageStore.Import"/>, 100,000 a segment, the compactor's format), InfluxDB the same readings; a
    /// transaction per million records, not synced (a crash loses the benchmark, nothing else). The rules' and the
    /// InfluxDB writer's cursors end past the history. Stops after <paramref name="limit"/> records; returns the number
    /// written. <paramref name="sites"/>[i] is gateway i's site.
    /// </summary>
    public long Fill(IReadOnlyList<string> devices, IReadOnlyList<string> sites, long fromMinute, long toMinute, long limit, Action<long>? progress = null)
    {
        using var connection = database.Open();
        connection.Execute("PRAGMA synchronous=OFF; PRAGMA cache_size=-262144");
        var tx = connection.BeginTransaction();
        var nextMessage = connection.ExecuteScalar<long>(RawMessageStore.HighestIdSql, transaction: tx) + 1;
        using var record = connection.CreateCommand();
        record.CommandText = "INSERT INTO records (dev, seq, t, dur, q, m, fw, site, message_id, received_at) VALUES ($dev, $seq, $t, 60, 0, $m, '1.4.2', $site, $msg, $at)";
        foreach (var name in new[] { "$dev", "$seq", "$t", "$m", "$site", "$msg", "$at" }) record.Parameters.Add(new Microsoft.Data.Sqlite.SqliteParameter(name, null));
        var messages = new List<RawMessage>(RawMessageStore.SegmentMessages);
        var lines = new StringBuilder();
        long written = 0;
        for (var d = 0; d < devices.Count && written < limit; d++)
        {
            var device = devices[d];
            var topic = $"iot/v1/{device}/telemetry";
            for (var minute = fromMinute; minute < toMinute && written < limit; minute++)
            {
                var payload = Payload(device, d, minute);
                var text = Encoding.UTF8.GetString(payload);
                var mStart = text.IndexOf("\"m\":", StringComparison.Ordinal) + 4;
                var m = text[mStart..(text.IndexOf('}', mStart) + 1)];
                var at = DateTimeOffset.FromUnixTimeSeconds(minute * 60 + 61);
                messages.Add(new RawMessage(nextMessage, topic, payload, at, new MessageProof(ProofStatus.Verified, text.Substring(text.Length - 66, 64), null, payload.Length - 74)));
                record.Transaction = tx;
                record.Parameters[0].Value = device;
                record.Parameters[1].Value = minute % 4_000_000_000;
                record.Parameters[2].Value = minute * 60;
                record.Parameters[3].Value = m;
                record.Parameters[4].Value = sites[d];
                record.Parameters[5].Value = nextMessage++;
                record.Parameters[6].Value = at.ToUnixTimeMilliseconds();
                record.ExecuteNonQuery();
                lines.Append("reading,dev=").Append(device).Append(",site=").Append(sites[d]).Append(' ')
                    .Append(m[1..^1].Replace("\"", "", StringComparison.Ordinal).Replace(':', '=')).Append(",q=0i,seq=").Append(minute % 4_000_000_000)
                    .Append("i,dur=60i ").Append(minute * 60).Append('\n');
                written++;
                if (messages.Count == RawMessageStore.SegmentMessages)
                {
                    raw.Import(messages, at, connection, tx);
                    messages.Clear();
                }
                if (written % 10_000 == 0) QueueWrite(lines);
                if (written % 1_000_000 == 0)
                {
                    tx.Commit();
                    tx.Dispose();
                    tx = connection.BeginTransaction();
                    progress?.Invoke(written);
                }
            }
        }
        raw.Import(messages, DateTimeOffset.FromUnixTimeSeconds(toMinute * 60 + 61), connection, tx);
        QueueWrite(lines);
        PassedBy(connection, tx, connection.ExecuteScalar<long>("SELECT COALESCE(MAX(row_id), 0) FROM records", transaction: tx));
        tx.Commit();
        tx.Dispose();
        Drain();
        return written;
    }

    private void QueueWrite(StringBuilder lines)
    {
        if (lines.Length == 0) return;
        if (_writes.Count >= 2)
        {
            Task.WaitAny([.. _writes]);
            foreach (var done in _writes.Where(w => w.IsCompleted).ToList()) { done.GetAwaiter().GetResult(); _writes.Remove(done); }
        }
        _writes.Add(Write(lines.ToString()));
        lines.Clear();
    }

    private long Flush(List<AcceptedTelemetry> batch, StringBuilder lines, DateTimeOffset at)
    {
        if (batch.Count == 0) return 0;
        var result = _journal.Store(batch, [], [], [], at);
        batch.Clear();
        lines.Clear();
        foreach (var record in result.Records) LineProtocol.Append(lines, record);
        var body = lines.ToString();
        // Two writes in flight at most: InfluxDB takes them while the next batch is parsed and stored.
        if (_writes.Count >= 2)
        {
            Task.WaitAny([.. _writes]);
            foreach (var done in _writes.Where(w => w.IsCompleted).ToList()) { done.GetAwaiter().GetResult(); _writes.Remove(done); }
        }
        _writes.Add(Write(body));
        // The rules and the InfluxDB writer have passed these records (the retention trim waits for both).
        using var connection = database.Open();
        var last = result.Records.Count > 0 ? result.Records[^1].RowId : 0;
        if (last > 0) PassedBy(connection, null, last);
        return result.Records.Count;
    }

    /// <summary>The rules and the InfluxDB writer have passed the history up to row <paramref name="last"/> (the retention
    /// trim waits for both).</summary>
    private static void PassedBy(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? tx, long last)
    {
        RecordJournal.SetCursor(connection, tx, LeadStore.RulesCursor, last);
        RecordJournal.SetCursor(connection, tx, InfluxWriter.Cursor, last);
    }

    private async Task Write(string lines)
    {
        using var response = await _http.PostAsync("write?db=iot&precision=s", new StringContent(lines, Encoding.UTF8, "text/plain"));
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"InfluxDB refused a batch: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Waits for the InfluxDB writes in flight.</summary>
    public void Drain()
    {
        Task.WaitAll([.. _writes]);
        _writes.Clear();
    }

    public void Dispose()
    {
        Drain();
        _http.Dispose();
    }

    /// <summary>Bytes of the files under a folder (0 when it does not exist).</summary>
    public static long FolderBytes(string folder) =>
        Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0;

    /// <summary>Bytes of the SQLite database (file and WAL, after a checkpoint).</summary>
    public static long DatabaseBytes(FleetDatabase database, string file)
    {
        using (var connection = database.Open()) connection.Execute("PRAGMA wal_checkpoint(TRUNCATE)");
        return new FileInfo(file).Length + (File.Exists(file + "-wal") ? new FileInfo(file + "-wal").Length : 0);
    }
}
