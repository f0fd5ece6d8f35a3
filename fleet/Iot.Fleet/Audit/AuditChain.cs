using System.Data.Common;
using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.Json;
using Dapper;
using Iot.Evidence;
using Iot.Fleet.Evidence;
using Iot.Fleet.Health;
using Iot.Fleet.Reports;
using Iot.Fleet.Storage;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Audit;

/// <summary>The chain's head: how many entries are linked, the last one's id and time, and its hash.</summary>
/// <remarks>Names pinned in snake_case: also the signed daily head file (AuditHeadExport) that `./iot evidence verify-signed` checks. The API renames them to camelCase (Api/ApiJson).</remarks>
public sealed record AuditHead(
    long Entries,
    [property: JsonPropertyName("last_entry")] long LastEntry,
    [property: JsonPropertyName("last_at")] DateTime? LastAt,
    string Hash);

/// <summary>The first link that does not hold: which entry and why.</summary>
public sealed record AuditBreak(long Entry, string Reason);

/// <summary>GET /api/audit/verify: whether every link holds, the head recomputed, and the first broken link.</summary>
public sealed record AuditVerification(bool Holds, AuditHead Head, AuditBreak? FirstBreak,
    long Breaks);

/// <summary>
/// The audit log as a hash chain (hash of <see cref="AuditChainHash"/>): `audit_chain` holds, for each entry id, the hash
/// SHA-256(previous hash || canonical entry bytes); it is append-only like the log (triggers). Entries are linked in id
/// order inside the transaction that writes them; entries written before the chain existed are linked in order at the
/// first write or start after the migration (<see cref="LinkPending"/>). The head (count and hash) is printed in the
/// monthly report and written, signed, to a file every day (<see cref="AuditHeadExport"/>): a row edited in the
/// database file changes its hash, a deleted row breaks the next link, and deleting the newest rows with their links
/// shows against a head published before.
/// </summary>
public static class AuditChain
{
    /// <summary>Links every entry that has none yet, in id order, after the chain's current head.</summary>
    public static int LinkPending(DbConnection connection, DbTransaction? tx)
    {
        var head = connection.QueryFirstOrDefault<(long Entry, string Hash)?>("SELECT entry, hash FROM audit_chain ORDER BY entry DESC LIMIT 1", transaction: tx);
        var previous = head?.Hash ?? AuditChainHash.Genesis;
        var linked = 0;
        foreach (var row in connection.Query<Row>($"SELECT {Columns} FROM audit_log WHERE id > @after ORDER BY id", new { after = head?.Entry ?? 0 }, tx))
        {
            previous = AuditChainHash.Link(previous, row.Canonical());
            connection.Execute("INSERT INTO audit_chain (entry, hash) VALUES (@id, @previous)", new { row.id, previous }, tx);
            linked++;
        }
        return linked;
    }

    /// <summary>The head as stored (entries linked up to <paramref name="before"/>, Unix ms, when given).</summary>
    public static AuditHead Head(DbConnection connection, long? before = null)
    {
        var head = connection.QueryFirstOrDefault<(long Entry, string Hash, long? At)?>(
            """
            SELECT c.entry, c.hash, a.at FROM audit_chain c LEFT JOIN audit_log a ON a.id = c.entry
            WHERE @before IS NULL OR a.at < @before ORDER BY c.entry DESC LIMIT 1
            """, new { before });
        if (head is not { } h) return new AuditHead(0, 0, null, AuditChainHash.Genesis);
        var count = connection.ExecuteScalar<long>("SELECT COUNT(*) FROM audit_chain WHERE entry <= @Entry", new { h.Entry });
        return new AuditHead(count, h.Entry, h.At is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at).UtcDateTime : null, h.Hash);
    }

    /// <summary>Recomputes every link from the first entry: an entry edited, deleted, inserted or left unlinked is a break.
    /// After a break the stored hash is carried on, so each tampered entry is reported on its own.</summary>
    public static AuditVerification Verify(DbConnection connection)
    {
        var log = connection.Query<Row>($"SELECT {Columns} FROM audit_log ORDER BY id").ToDictionary(r => r.id);
        var chain = connection.Query<(long Entry, string Hash)>("SELECT entry, hash FROM audit_chain ORDER BY entry").ToList();
        var linked = chain.Select(c => c.Entry).ToHashSet();
        var previous = AuditChainHash.Genesis;
        AuditBreak? first = null;
        long breaks = 0, count = 0, last = 0;
        void Broken(long entry, string reason)
        {
            breaks++;
            first ??= new AuditBreak(entry, reason);
        }
        foreach (var (entry, hash) in chain)
        {
            count++;
            var before = last;
            last = entry;
            if (!log.TryGetValue(entry, out var row))
                Broken(entry, $"entry {entry} is in the chain but not in the audit log: it was deleted");
            else if (AuditChainHash.Link(previous, row.Canonical()) != hash)
                // SQLite hands out consecutive ids (the log is never deleted from), so a gap is a deletion.
                Broken(entry, before != entry - 1
                    ? $"entry {entry}: its link does not follow entry {before}: entries {before + 1}…{entry - 1} were deleted with their links"
                    : $"entry {entry}: its content does not hash to its link: it was edited");
            previous = hash;
        }
        foreach (var id in log.Keys.Where(id => !linked.Contains(id)).Order())
            Broken(id, id > last
                ? $"entry {id} is not linked yet (written after the chain's head)"
                : $"entry {id} is in the audit log but has no link: it was inserted afterwards");
        var lastAt = last != 0 && log.TryGetValue(last, out var lastRow) ? DateTimeOffset.FromUnixTimeMilliseconds(lastRow.at).UtcDateTime : (DateTime?)null;
        return new AuditVerification(breaks == 0, new AuditHead(count, last, lastAt, previous), first, breaks);
    }

    private const string Columns = "id, at, actor, actor_kind, action, subject, before, after, note";

    // Lower-case members: Dapper maps the columns by name onto this record's constructor.
    private sealed record Row(long id, long at, string actor, string actor_kind, string action, string subject, string? before, string? after, string? note)
    {
        public byte[] Canonical() => AuditChainHash.Canonical(id, at, actor, actor_kind, action, subject, before, after, note);
    }
}

/// <summary>Options of the daily audit head (section "Audit").</summary>
public sealed class AuditHeadOptions
{
    /// <summary>Folder of the daily head files; `audit-heads` in the fleet's data folder when empty.</summary>
    public string? HeadDirectory { get; set; }
}

/// <summary>
/// Writes the audit chain's head once a day (the bureau's day, Asia/Shanghai): `audit-head-YYYY-MM-DD.json` with the
/// head's hash, entry count, last entry and the time, and `audit-head-YYYY-MM-DD.json.sig`, the evidence key's
/// signature over it (`iot-evidence verify-signed FILE` checks it). Copied off the machine (backups, the bureau's
/// records office), a day's head lets anyone prove later that no entry before it was changed or removed.
/// </summary>
public sealed class AuditHeadExport(FleetDatabase database, EvidenceKeys keys, IOptions<DatabaseOptions> storage, IOptions<AuditHeadOptions> options,
    TimeProvider clock, ILogger<AuditHeadExport> logger) : BackgroundService
{
    public static readonly TimeSpan CheckEvery = TimeSpan.FromHours(1);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string Folder => options.Value.HeadDirectory is { Length: > 0 } dir ? dir : Path.Combine(storage.Value.DataDirectory, "audit-heads");

    protected override Task ExecuteAsync(CancellationToken stop) =>
        PeriodicCheck.Run(CheckEvery, clock, () => WriteToday(), logger, "the daily audit head", stop);

    /// <summary>Writes today's head unless it is written already; returns the file's path.</summary>
    public string WriteToday(bool overwrite = false)
    {
        var now = clock.GetUtcNow();
        var day = TimeZoneInfo.ConvertTime(now, TimeZoneInfo.FindSystemTimeZoneById(MonthlyReport.Timezone)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var name = $"audit-head-{day}.json";
        var path = Path.Combine(Folder, name);
        if (File.Exists(path) && File.Exists(path + ".sig") && !overwrite) return path;
        AuditHead head;
        using (var connection = database.Open())
        {
            using (var tx = connection.BeginTransaction())
            {
                AuditChain.LinkPending(connection, tx);
                tx.Commit();
            }
            head = AuditChain.Head(connection);
        }
        var (bytes, signature) = keys.SignBuilt(name, key => JsonSerializer.SerializeToUtf8Bytes(new
        {
            day, written_at = now.UtcDateTime, entries = head.Entries, last_entry = head.LastEntry, last_at = head.LastAt, head = head.Hash,
            algorithm = "sha256-chain", key_fingerprint = key.Fingerprint,
        }, Json));
        const UnixFileMode readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        AtomicFile.Write(path, System.Text.Encoding.UTF8.GetString(bytes), readable);
        AtomicFile.Write(path + ".sig", System.Text.Encoding.UTF8.GetString(signature.ToBytes()), readable);
        logger.LogInformation("audit head of {Day}: {Entries} entries, {Hash}", day, head.Entries, head.Hash);
        return path;
    }
}
