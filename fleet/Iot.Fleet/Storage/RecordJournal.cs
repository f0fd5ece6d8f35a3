using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Iot.Fleet.Ingest;
using Iot.Fleet.Rules;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Storage;

/// <summary>A message the ingest accepted, with the device's site at that moment.</summary>
public sealed record AcceptedTelemetry(string Topic, byte[] Payload, TelemetryEnvelope Envelope, string? Site)
{
    /// <summary>The device proof checked at ingest, kept with the raw message (null: not checked, stored as NULL).</summary>
    public MessageProof? Proof { get; init; }
}

/// <summary>A raw telemetry message as the fleet received it, with the proof of its origin checked at ingest
/// (null for messages stored before proofs existed). <see cref="DeviceKeys.Recheck"/> checks it again.</summary>
public sealed record RawMessage(long Id, string Topic, byte[] Payload, DateTimeOffset ReceivedAt, MessageProof? Proof);

/// <summary>What one batch added to the journal: the new records in row order, the new events (device events
/// and the fleet's conflict entries) in id order, and how many records were conflicts.</summary>
public sealed record StoredBatchResult(IReadOnlyList<TelemetryRecord> Records, IReadOnlyList<DeviceEvent> Events, int Conflicts);

/// <summary>A message that broke the wire protocol.</summary>
public sealed record Rejection(string? Device, string Topic, string Reason, string Payload, DateTimeOffset ReceivedAt);

/// <summary>
/// The fleet's durable journal of every accepted record, keyed by (dev, seq) so a record stored once
/// is never stored again. It is also the spool in front of InfluxDB: the writer follows a cursor
/// through it, so readings wait here, on disk, for as long as InfluxDB is away.
/// </summary>
public sealed class RecordJournal(FleetDatabase database, RawMessageStore raw) : IRecordHistory
{
    /// <summary>Rejected payloads kept per device for engineers, and in all; older ones are dropped.</summary>
    public const int RejectionSampleSize = 1000, RejectionsPerDevice = 50;

    /// <summary>Stores a batch in one transaction and returns what was new. Records already in the journal
    /// (re-sent by a gateway that missed a PUBACK) are skipped; a record whose (dev, seq) is stored with other
    /// content is kept aside as a conflict entry in the events table; events re-sent are stored once.</summary>
    public StoredBatchResult Store(IReadOnlyList<AcceptedTelemetry> accepted, IReadOnlyList<Rejection> rejections,
        IReadOnlyList<DeviceEvent> events, IReadOnlyList<DeviceStatus> statuses, DateTimeOffset now)
    {
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        var conflicts = new List<DeviceEvent>();
        var fresh = StoreTelemetry(connection, tx, accepted, now, conflicts);
        StoreRejections(connection, tx, rejections);
        var storedEvents = new List<DeviceEvent>(events.Count + conflicts.Count);
        foreach (var e in events.Concat(conflicts))
        {
            var id = connection.ExecuteScalar<long?>(
                "INSERT INTO events (dev, t, type, data, received_at) VALUES (@Device, @Time, @Type, @Data, @at) ON CONFLICT DO NOTHING RETURNING id",
                new { e.Device, e.Time, e.Type, e.Data, at = now.ToUnixTimeMilliseconds() }, tx);
            if (id is { } stored) storedEvents.Add(e with { Id = stored });
        }
        // One statement per few hundred devices, not one per message: after an outage a city's gateways reconnect within
        // a minute, each with its status, and those batches are what live records queue behind.
        // A device with several statuses in the batch (online, then its will) has them applied in order, one round each,
        // since one statement may not change a row twice.
        foreach (var round in Rounds(statuses))
            StoreDeviceStates(connection, tx, round.Select(st => new DeviceStateRow(
                st.Device, st.Firmware, st.Boot, st.Online ? 1L : 0L, JsonSerializer.Serialize(st), st.Buffered)), now, fromStatus: true);
        if (rejections.Count > 0)
            connection.Execute("DELETE FROM rejections WHERE id <= (SELECT MAX(id) FROM rejections) - @keep", new { keep = RejectionSampleSize * 10 }, tx);
        // A device whose telemetry arrives is connected now, unless this batch also holds its status (a will, say).
        var reported = statuses.Select(st => st.Device).ToHashSet(StringComparer.Ordinal);
        StoreDeviceStates(connection, tx, accepted.GroupBy(a => a.Envelope.Device, StringComparer.Ordinal).Select(g => g.Last().Envelope).Select(latest =>
            new DeviceStateRow(latest.Device, latest.Firmware, latest.Boot, reported.Contains(latest.Device) ? null : 1L, null, null)), now, fromStatus: false);
        tx.Commit();
        storedEvents.Sort((a, b) => a.Id.CompareTo(b.Id));
        return new StoredBatchResult(fresh, storedEvents, conflicts.Count);
    }

    /// <summary>The statuses split into rounds: each device's first status in the first round, its second in the second, ….</summary>
    private static List<List<DeviceStatus>> Rounds(IReadOnlyList<DeviceStatus> statuses)
    {
        var rounds = new List<List<DeviceStatus>>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var status in statuses)
        {
            var k = seen.GetValueOrDefault(status.Device);
            seen[status.Device] = k + 1;
            if (rounds.Count == k) rounds.Add([]);
            rounds[k].Add(status);
        }
        return rounds;
    }

    private sealed record DeviceStateRow(string Device, string? Firmware, long? Boot, long? Online, string? Status, long? Buffered);

    /// <summary>Upserts devices' state, 200 to a statement (each device once). From a status: online, the status document and
    /// the buffered count are the status's, and last seen moves only when it says online. From telemetry: last seen moves,
    /// and online is set unless null (the batch also held the device's status, which decides).</summary>
    private static void StoreDeviceStates(DbConnection connection, DbTransaction tx, IEnumerable<DeviceStateRow> rows, DateTimeOffset now, bool fromStatus)
    {
        var update = fromStatus
            ? """
              online = excluded.online, status = excluded.status,
              last_seen = CASE WHEN excluded.online = 1 THEN excluded.last_seen ELSE device_state.last_seen END,
              firmware = COALESCE(excluded.firmware, device_state.firmware), boot = COALESCE(excluded.boot, device_state.boot),
              buffered = COALESCE(excluded.buffered, device_state.buffered)
              """
            : """
              last_seen = excluded.last_seen, online = COALESCE(excluded.online, device_state.online),
              firmware = COALESCE(excluded.firmware, device_state.firmware), boot = COALESCE(excluded.boot, device_state.boot)
              """;
        var seen = now.ToUnixTimeMilliseconds();
        foreach (var chunk in rows.Chunk(200))
        {
            var sql = new System.Text.StringBuilder("INSERT INTO device_state (dev, last_seen, firmware, boot, online, status, buffered) VALUES ");
            var values = new DynamicParameters();
            values.Add("seen", seen, System.Data.DbType.Int64);
            for (var i = 0; i < chunk.Length; i++)
            {
                var r = chunk[i];
                sql.Append(i == 0 ? "" : ", ").Append($"(@d{i}, @seen, @f{i}, @b{i}, @o{i}, @s{i}, @u{i})");
                values.Add($"d{i}", r.Device, System.Data.DbType.String);
                values.Add($"f{i}", r.Firmware, System.Data.DbType.String);
                values.Add($"b{i}", r.Boot, System.Data.DbType.Int64);
                values.Add($"o{i}", r.Online, System.Data.DbType.Int64);
                values.Add($"s{i}", r.Status, System.Data.DbType.String);
                values.Add($"u{i}", r.Buffered, System.Data.DbType.Int64);
            }
            sql.Append(" ON CONFLICT (dev) DO UPDATE SET ").Append(update);
            connection.Execute(sql.ToString(), values, tx);
        }
    }

    /// <summary>The batch's rejections in a few statements, not a few per rejection: a hostile burst brings thousands in one
    /// batch, and on PostgreSQL every statement is a round trip made while the batch holds the writer lock. Each device's
    /// count goes up by its rejections and its sample is cut to the last <see cref="RejectionsPerDevice"/> once.</summary>
    private static void StoreRejections(DbConnection connection, DbTransaction tx, IReadOnlyList<Rejection> rejections)
    {
        foreach (var chunk in rejections.Chunk(500))
        {
            var sql = new System.Text.StringBuilder("INSERT INTO rejections (dev, topic, reason, payload, received_at) VALUES ");
            var values = new DynamicParameters();
            for (var i = 0; i < chunk.Length; i++)
            {
                var r = chunk[i];
                sql.Append(i == 0 ? "" : ", ").Append($"(@d{i}, @t{i}, @r{i}, @p{i}, @a{i})");
                values.Add($"d{i}", r.Device, System.Data.DbType.String);
                values.Add($"t{i}", r.Topic, System.Data.DbType.String);
                values.Add($"r{i}", Printable(r.Reason), System.Data.DbType.String);
                values.Add($"p{i}", Printable(r.Payload), System.Data.DbType.String);
                values.Add($"a{i}", r.ReceivedAt.ToUnixTimeMilliseconds(), System.Data.DbType.Int64);
            }
            connection.Execute(sql.ToString(), values, tx);
        }
        foreach (var device in rejections.Where(r => r.Device is not null).GroupBy(r => r.Device!, StringComparer.Ordinal))
            connection.Execute(
                """
                INSERT INTO device_state (dev, rejected) VALUES (@dev, @count) ON CONFLICT (dev) DO UPDATE SET rejected = device_state.rejected + excluded.rejected;
                DELETE FROM rejections WHERE dev = @dev AND id <= (SELECT MAX(id) FROM rejections WHERE dev = @dev) - @keep;
                """,
                new { dev = device.Key, count = (long)device.Count(), keep = RejectionsPerDevice }, tx);
    }

    /// <summary>A rejected payload or a reason quoting it, storable as text: PostgreSQL's text cannot hold U+0000, which a
    /// hostile message may carry (SQLite's can); it is kept as U+FFFD so the rest of the sample is not lost.</summary>
    private static string Printable(string text) => text.Contains('\0') ? text.Replace('\0', '\uFFFD') : text;

    /// <summary>Inserts the records of the accepted messages, skipping (dev, seq) pairs already stored,
    /// then the raw messages that brought at least one new record; returns the new records in row order.
    /// A (dev, seq) stored with other content adds a conflict entry to <paramref name="conflicts"/>.</summary>
    private static List<TelemetryRecord> StoreTelemetry(DbConnection connection, DbTransaction tx, IReadOnlyList<AcceptedTelemetry> accepted, DateTimeOffset now,
        List<DeviceEvent> conflicts)
    {
        var fresh = new List<TelemetryRecord>();
        if (accepted.Count == 0) return fresh;
        // The ingest holds the write lock (SQLite's BEGIN IMMEDIATE, PostgreSQL's writer lock: PostgresConnection), so it can
        // number the messages itself and store only those that brought something new: no insert-then-delete.
        // Ids go on after the highest one in either place, the hot table or the segments the compactor moved messages to.
        var firstMessageId = connection.ExecuteScalar<long>(RawMessageStore.HighestIdSql, transaction: tx) + 1;
        using var insertRecord = Command(connection, tx,
            """
            INSERT INTO records (dev, seq, t, dur, q, m, fw, site, message_id, received_at)
            VALUES (@dev, @seq, @t, @dur, @q, @m, @fw, @site, @msg, @at)
            ON CONFLICT (dev, seq) DO NOTHING RETURNING row_id
            """, "@dev", "@seq", "@t", "@dur", "@q", "@m", "@fw", "@site", "@msg", "@at");
        var carried = new bool[accepted.Count];
        for (var i = 0; i < accepted.Count; i++)
        {
            var message = accepted[i];
            foreach (var r in message.Envelope.Records)
            {
                var rowId = Run(insertRecord, r.Device, (long)r.Seq, r.Time, r.Duration, r.Quality,
                    r.MeasurementsJson ?? JsonSerializer.Serialize(r.Measurements), (object?)r.Firmware ?? DBNull.Value, (object?)message.Site ?? DBNull.Value,
                    firstMessageId + i, r.ReceivedAt.ToUnixTimeMilliseconds());
                if (rowId is null)
                {
                    if (Conflict(connection, tx, r, message.Envelope.Boot) is { } conflict)
                    {
                        conflicts.Add(conflict);
                        carried[i] = true;
                    }
                    continue;
                }
                fresh.Add(r with { RowId = (long)rowId, Site = message.Site });
                carried[i] = true;
            }
        }
        using var insertMessage = Command(connection, tx,
            "INSERT INTO messages (id, topic, payload, received_at, proof, mac, key_id, signed_length) VALUES (@id, @topic, @payload, @at, @proof, @mac, @key, @signed)",
            "@id", "@topic", "@payload", "@at", "@proof", "@mac", "@key", "@signed");
        for (var i = 0; i < accepted.Count; i++)
        {
            if (!carried[i]) continue;
            var proof = accepted[i].Proof;
            Run(insertMessage, firstMessageId + i, accepted[i].Topic, accepted[i].Payload, now.ToUnixTimeMilliseconds(), (object?)proof?.Status ?? DBNull.Value,
                (object?)proof?.Mac ?? DBNull.Value, (object?)proof?.KeyId ?? DBNull.Value, (object?)proof?.SignedLength ?? DBNull.Value);
        }
        return fresh;
    }

    /// <summary>A conflict entry when the stored record of (dev, seq) differs from <paramref name="sent"/>; null
    /// for a plain re-send. Both versions go into its data, and the raw message is kept, so nothing is lost.</summary>
    private static DeviceEvent? Conflict(DbConnection connection, DbTransaction tx, TelemetryRecord sent, long? boot)
    {
        var stored = connection.QueryFirst<(long t, long dur, long q, string m)>(
            "SELECT t, dur, q, m FROM records WHERE dev = @Device AND seq = @seq", new { sent.Device, seq = (long)sent.Seq }, tx);
        var storedValues = JsonSerializer.Deserialize<Dictionary<string, double>>(stored.m)!;
        // Live or re-sent from a store (backfill) is how a record travelled, not what it says: no conflict.
        const long travel = Iot.Contract.QualityBits.Backfill;
        if (stored.t == sent.Time && stored.dur == sent.Duration && (stored.q & ~travel) == (sent.Quality & ~travel)
            && storedValues.Count == sent.Measurements.Count && storedValues.All(p => sent.Measurements.TryGetValue(p.Key, out var v) && v.Equals(p.Value)))
            return null;
        var data = new System.Text.Json.Nodes.JsonObject
        {
            ["seq"] = sent.Seq,
            ["boot"] = boot,
            ["stored"] = new System.Text.Json.Nodes.JsonObject { ["t"] = stored.t, ["dur"] = stored.dur, ["q"] = stored.q, ["m"] = System.Text.Json.Nodes.JsonNode.Parse(stored.m) },
            ["sent"] = new System.Text.Json.Nodes.JsonObject { ["t"] = sent.Time, ["dur"] = sent.Duration, ["q"] = sent.Quality, ["m"] = JsonSerializer.SerializeToNode(sent.Measurements) },
        };
        // Placed at the stored record, so the alert's evidence shows the version that was judged.
        return new DeviceEvent(sent.Device, stored.t, FleetEventTypes.SeqConflict, data.ToJsonString());
    }

    /// <summary>
    /// The raw message that brought the record (device, seq) into the journal, with its proof: for evidence, the
    /// payload exactly as received and how its origin was checked. Null when the record is unknown.
    /// </summary>
    public RawMessage? MessageOf(string device, uint seq)
    {
        using var connection = database.Open();
        return connection.ExecuteScalar<long?>("SELECT message_id FROM records WHERE dev = @device AND seq = @seq", new { device, seq = (long)seq }) is { } id
            ? raw.Get(id)
            : null;
    }

    /// <summary>
    /// The proof behind each record of a device whose window overlaps [from, to), by seq: what a lead or a bundle resting
    /// on those records can say about their origin (null: stored before proofs existed). See <see cref="ProofStatus"/>.
    /// </summary>
    public IReadOnlyDictionary<uint, MessageProof?> ProofsBetween(string device, long fromTime, long toTime)
    {
        List<(long seq, long message_id)> records;
        using (var connection = database.Open())
            records = connection.Query<(long seq, long message_id)>(
                "SELECT seq, message_id FROM records WHERE dev = @device AND t >= @lower AND t < @toTime AND t + dur > @fromTime",
                new { device, lower = fromTime - WireProtocol.MaxDurationSeconds, fromTime, toTime }).ToList();
        var messages = raw.Get(records.Select(r => r.message_id).ToList());
        return records.Where(r => messages.ContainsKey(r.message_id)).ToDictionary(r => (uint)r.seq, r => messages[r.message_id].Proof);
    }

    /// <summary>A raw message by its id (records.message_id), with its proof; null when there is none.</summary>
    public RawMessage? Message(long id) => raw.Get(id);

    /// <summary>Highest row id in the journal (0 when empty).</summary>
    public long LatestRowId()
    {
        using var connection = database.Open();
        return connection.ExecuteScalar<long?>("SELECT MAX(row_id) FROM records") ?? 0;
    }

    /// <summary>Events stored after <paramref name="afterId"/> (and before <paramref name="beforeId"/>), oldest first.</summary>
    public IReadOnlyList<DeviceEvent> EventsAfter(long afterId, int limit, long beforeId = long.MaxValue)
    {
        using var connection = database.Open();
        return connection.Query<(long id, string dev, long t, string type, string data)>(
                "SELECT id, dev, t, type, data FROM events WHERE id > @afterId AND id < @beforeId ORDER BY id LIMIT @limit", new { afterId, beforeId, limit })
            .Select(e => new DeviceEvent(e.dev, e.t, e.type, e.data) { Id = e.id })
            .ToList();
    }

    /// <summary>Records stored after <paramref name="afterRowId"/> (and before <paramref name="beforeRowId"/>), oldest first.</summary>
    public IReadOnlyList<TelemetryRecord> ReadAfter(long afterRowId, int limit, long beforeRowId = long.MaxValue)
    {
        using var connection = database.Open();
        return connection.Query<RecordRow>(
                "SELECT row_id, dev, seq, t, dur, q, m, fw, site, received_at FROM records WHERE row_id > @afterRowId AND row_id < @beforeRowId ORDER BY row_id LIMIT @limit",
                new { afterRowId, beforeRowId, limit })
            .Select(r => r.ToRecord())
            .ToList();
    }

    /// <summary>The last second of a device's latest record (by its start), in SQL with the device as <c>{0}</c>: one index
    /// search on (dev, t).</summary>
    private const string LatestEnd = "SELECT r.t + r.dur - 1 FROM records r WHERE r.dev = {0} ORDER BY r.t DESC LIMIT 1";

    private static readonly string LatestEndOfDevice = string.Format(CultureInfo.InvariantCulture, LatestEnd, "@dev");

    private static readonly string LatestEndOfEveryDevice =
        $"SELECT d.id, ({string.Format(CultureInfo.InvariantCulture, LatestEnd, "d.id")}) FROM devices d";

    /// <summary>The latest minute any of the devices has a record for (its window's last minute), or null.</summary>
    public long? LatestMinute(IReadOnlyList<string> devices)
    {
        using var connection = database.Open();
        long? latest = null;
        foreach (var dev in devices)
        {
            var t = connection.ExecuteScalar<long?>(LatestEndOfDevice, new { dev });
            if (t is { } v && (latest is null || v / 60 > latest)) latest = v / 60;
        }
        return latest;
    }

    /// <summary>The latest minute each registered device has a record for (its window's last minute), by device; a device
    /// without records is absent. One statement, one index search per device: what a sweep of a whole city reads.</summary>
    public IReadOnlyDictionary<string, long> LatestMinutes()
    {
        using var connection = database.Open();
        return connection.Query<(string Dev, long? Last)>(
                LatestEndOfEveryDevice)
            .Where(r => r.Last is not null)
            .ToDictionary(r => r.Dev, r => r.Last!.Value / 60, StringComparer.Ordinal);
    }

    /// <summary>The minutes in [fromMinute, toMinute) in which any of the devices has a record starting.</summary>
    public IReadOnlySet<long> MinutesCovered(IReadOnlyList<string> devices, long fromMinute, long toMinute)
    {
        using var connection = database.Open();
        return connection.Query<long>("SELECT DISTINCT t / 60 FROM records WHERE dev IN @devices AND t >= @from AND t < @to",
            new { devices, from = fromMinute * 60, to = toMinute * 60 }).ToHashSet();
    }

    /// <summary>Records of a device whose windows overlap [from, to), for evidence.</summary>
    public IReadOnlyList<TelemetryRecord> Between(string device, long fromTime, long toTime)
    {
        using var connection = database.Open();
        return connection.Query<RecordRow>(
                "SELECT row_id, dev, seq, t, dur, q, m, fw, site, received_at FROM records WHERE dev = @device AND t >= @lower AND t < @toTime AND t + dur > @fromTime ORDER BY t, seq",
                new { device, lower = fromTime - WireProtocol.MaxDurationSeconds, fromTime, toTime })
            .Select(r => r.ToRecord())
            .ToList();
    }

    /// <summary>A named position in the journal (how far the Influx writer or the rules got).</summary>
    public long Cursor(string name)
    {
        using var connection = database.Open();
        return connection.ExecuteScalar<long?>("SELECT value FROM cursors WHERE name = @name", new { name }) ?? 0;
    }

    /// <summary>Moves a named cursor, inside the caller's transaction when one is given.</summary>
    public static void SetCursor(DbConnection connection, DbTransaction? tx, string name, long value) =>
        connection.Execute("INSERT INTO cursors (name, value) VALUES (@name, @value) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            new { name, value }, tx);

    /// <summary>Checks, inside the caller's transaction, that a cursor still stands where the caller left it.</summary>
    /// <exception cref="CursorMovedException">Someone else moved it.</exception>
    public static void RequireCursor(DbConnection connection, DbTransaction tx, string name, long expected)
    {
        var now = connection.ExecuteScalar<long?>("SELECT value FROM cursors WHERE name = @name", new { name }, tx) ?? 0;
        if (now != expected)
            throw new CursorMovedException($"cursor '{name}' stands at {now}, not at {expected} where this instance left it: another instance moved it");
    }

    public void SetCursor(string name, long value)
    {
        using var connection = database.Open();
        SetCursor(connection, null, name, value);
    }

    IReadOnlyList<TelemetryRecord> IRecordHistory.Load(string device, long fromTime, long toTime, long beforeRowId)
    {
        using var connection = database.Open();
        return connection.Query<RecordRow>(
                "SELECT row_id, dev, seq, t, dur, q, m, fw, site, received_at FROM records WHERE dev = @device AND t >= @lower AND t < @toTime AND t + dur > @fromTime AND row_id < @beforeRowId",
                new { device, lower = fromTime - WireProtocol.MaxDurationSeconds, fromTime, toTime, beforeRowId })
            .Select(r => r.ToRecord())
            .ToList();
    }

    long? IRecordHistory.LatestMinute(string device, long beforeRowId)
    {
        using var connection = database.Open();
        var last = connection.QueryFirstOrDefault<(long t, long dur)?>(
            "SELECT t, dur FROM records WHERE dev = @device AND row_id < @beforeRowId ORDER BY t DESC LIMIT 1", new { device, beforeRowId });
        return last is { } l ? (l.t + l.dur - 1) / 60 : null;
    }

    private static Statement Command(DbConnection connection, DbTransaction tx, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            command.Parameters.Add(p);
        }
        return new Statement(command);
    }

    private static object? Run(Statement statement, params object[] values) => statement.Run(values);

    /// <summary>A command run many times in one batch, prepared once its parameters have values (Npgsql types them from
    /// the first ones).</summary>
    private sealed class Statement(DbCommand command) : IDisposable
    {
        private bool _prepared;

        public object? Run(object[] values)
        {
            for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i];
            if (!_prepared)
            {
                command.Prepare();
                _prepared = true;
            }
            var result = command.ExecuteScalar();
            return result is DBNull ? null : result;
        }

        public void Dispose() => command.Dispose();
    }

    private sealed record RecordRow(long row_id, string dev, long seq, long t, long dur, long q, string m, string? fw, string? site, long received_at)
    {
        public TelemetryRecord ToRecord() =>
            new(dev, (uint)seq, t, (int)dur, (int)q, JsonSerializer.Deserialize<Dictionary<string, double>>(m)!)
            {
                RowId = row_id,
                Firmware = fw,
                Site = site,
                MeasurementsJson = m,
                ReceivedAt = DateTimeOffset.FromUnixTimeMilliseconds(received_at),
            };
    }
}

/// <summary>A cursor was moved by someone else since the caller read it (two fleet instances both judging).</summary>
public sealed class CursorMovedException(string message) : Exception(message);
