using System.Text.Json;
using Dapper;
using Iot.Fleet.Audit;
using Iot.Fleet.Evidence;
using Iot.Fleet.Health;
using Iot.Fleet.Leads;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Operations;

/// <summary>Options of the retention policy (section "Retention").</summary>
public sealed class RetentionOptions
{
    /// <summary>Years the evidence of a lead (its devices' records and raw messages from an hour before its first window
    /// to an hour after its last, what its bundle is made of) is kept from the lead's raising, whatever
    /// <see cref="ReadingsDays"/> says; a lead whose case is still open keeps its evidence however old. Default 10: longer
    /// than the limitation for penalties (2 years, 5 where life, health or finance is at stake: Administrative Penalty
    /// Law art. 36) plus a lawsuit's window (at most 5 years from the act: Administrative Litigation Law art. 46) and
    /// an appeal, and the shortest fixed keeping period of the archives rules (10 years); a bureau that keeps case files
    /// 30 years or for good keeps the exported bundle in the file, and may set this higher.</summary>
    public int EvidenceYears { get; set; } = 10;

    /// <summary>Days of the hot journal: bulk readings (records and raw messages) older than this that no lead's evidence
    /// rests on are deleted from the fleet's database and raw segments (InfluxDB keeps the readings for charts under its own
    /// retention policies). Default 14; at least 7, twice a gateway's flash journal (over 72 hours) and far more than the
    /// HJ 212 gap fetch (24 hours), so late (backfilled) records still find their neighbours when judged. 0 keeps everything.</summary>
    public int ReadingsDays { get; set; } = 14;

    /// <summary>Hours between two trims.</summary>
    public int TrimHours { get; set; } = 6;
}

/// <summary>Checks the retention options at start: a mistyped key stops the fleet instead of deleting readings.</summary>
public sealed class RetentionOptionsValidation : IValidateOptions<RetentionOptions>
{
    /// <summary>The shortest hot journal: see <see cref="RetentionOptions.ReadingsDays"/>.</summary>
    public const int MinReadingsDays = 7;

    public ValidateOptionsResult Validate(string? name, RetentionOptions o)
    {
        var errors = new List<string>();
        if (o.EvidenceYears is < 1 or > 100) errors.Add($"Retention:EvidenceYears = {o.EvidenceYears}: give the years (1 to 100) a lead's evidence is kept");
        if (o.ReadingsDays is not 0 and (< MinReadingsDays or > 36500))
            errors.Add($"Retention:ReadingsDays = {o.ReadingsDays}: 0 keeps every reading; otherwise give {MinReadingsDays} days or more");
        if (o.TrimHours is < 1 or > 24 * 7) errors.Add($"Retention:TrimHours = {o.TrimHours}: give 1 to 168 hours");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>What one trim deleted and what it kept for evidence.</summary>
public sealed record RetentionResult(long Records, long Messages, int LeadsKept, DateTimeOffset? Before);

/// <summary>
/// The retention trim: every <see cref="RetentionOptions.TrimHours"/>, deletes records older than
/// <see cref="RetentionOptions.ReadingsDays"/> and raw messages that old no remaining record came in, except what a
/// lead's evidence rests on: the records of its devices in its evidence window (<see cref="EvidenceExport"/>: an hour
/// either side of its windows), for every lead raised within <see cref="RetentionOptions.EvidenceYears"/> or with a
/// case still open, and the raw messages of those records; and the newest record of each device (how long a device has
/// been silent, where a gap fetch starts). Only records the rules and the InfluxDB writer have passed are deleted. Raw
/// messages already moved into segments go block by block (<see cref="RawMessageStore.Trim"/>): a block stays while any
/// record still refers to one of its messages. Nothing else is touched: leads, cases, events, commissioning records and photos, the audit log.
/// Each trim that deletes something is in the audit log (`retention.trim`). Deletes in batches, each its own
/// transaction, so the ingest is never held up for long.
/// </summary>
public sealed class RetentionTrim(FleetDatabase database, RawMessageStore raw, AuditLog audit, IOptionsMonitor<RetentionOptions> options, FleetHealth health,
    ILogger<RetentionTrim> logger, TimeProvider clock) : SupervisedService(health, logger, clock)
{
    private const int Batch = 5000;

    protected override string Stage => "retention";

    protected override async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var result = Trim(Clock.GetUtcNow(), options.CurrentValue);
            if (result.Records + result.Messages > 0)
                Logger.LogInformation("retention: deleted {Records} records and {Messages} raw messages before {Before}; kept the evidence of {Leads} leads",
                    result.Records, result.Messages, result.Before, result.LeadsKept);
            await Task.Delay(TimeSpan.FromHours(options.CurrentValue.TrimHours), Clock, stop);
        }
    }

    /// <summary>One trim as of <paramref name="now"/>.</summary>
    public RetentionResult Trim(DateTimeOffset now, RetentionOptions policy)
    {
        if (policy.ReadingsDays <= 0) return new RetentionResult(0, 0, 0, null);
        var before = now.AddDays(-policy.ReadingsDays);
        var evidenceSince = now.AddYears(-policy.EvidenceYears);
        using var connection = database.Open();
        // The rules and the InfluxDB writer follow the journal by row; what they have not passed stays.
        var processed = connection.ExecuteScalar<long?>("SELECT MIN(COALESCE((SELECT value FROM cursors WHERE name = n.name), 0)) FROM (SELECT @rules AS name UNION ALL SELECT @influx) n",
            new { rules = LeadStore.RulesCursor, influx = InfluxWriter.Cursor }) ?? 0;
        var leads = connection.Query<(long Id, string Devices, long Start, long End, long Window)>(
            """
            SELECT l.id, l.devices, l.start_minute, l.end_minute, l.window_minutes FROM leads l
            WHERE l.raised_at >= @since
               OR EXISTS (SELECT 1 FROM cases c WHERE c.lead = l.id AND c.status NOT IN ('confirmed', 'dismissed'))
            """, new { since = evidenceSince.ToUnixTimeMilliseconds() }).ToList();
        var margin = (long)EvidenceExport.Margin.TotalSeconds;
        connection.Execute("CREATE TEMP TABLE IF NOT EXISTS retention_keep (dev TEXT NOT NULL, lo INTEGER NOT NULL, from_time INTEGER NOT NULL, hi INTEGER NOT NULL); DELETE FROM retention_keep;");
        using (var tx = connection.BeginTransaction())
        {
            foreach (var lead in leads)
            foreach (var device in JsonSerializer.Deserialize<string[]>(lead.Devices) ?? [])
            {
                // The export's query (EvidenceExport.Gather): t >= from - longest duration, t < to, t + dur > from.
                var from = lead.Start * 60 - margin;
                connection.Execute("INSERT INTO retention_keep (dev, lo, from_time, hi) VALUES (@device, @lo, @from, @hi)",
                    new { device, lo = from - WireProtocol.MaxDurationSeconds, from, hi = (lead.End + lead.Window) * 60 + margin }, tx);
            }
            tx.Commit();
        }
        long records = 0, messages = 0;
        try
        {
            // Device by device through the (dev, t) index, so a trim costs what it deletes and a seek per device, not a scan
            // of the whole journal: the next device is the least id above the last one (an index seek each).
            int deleted;
            for (var device = connection.ExecuteScalar<string?>("SELECT MIN(dev) FROM records");
                 device is not null;
                 device = connection.ExecuteScalar<string?>("SELECT MIN(dev) FROM records WHERE dev > @device", new { device }))
            {
                // The device's newest record stays: where its silence and a gap fetch start.
                var cut = Math.Min(before.ToUnixTimeSeconds(), connection.ExecuteScalar<long>("SELECT MAX(t) FROM records WHERE dev = @device", new { device }));
                // Most devices have nothing old enough: a read finds that without taking the write lock from the ingest.
                if (connection.ExecuteScalar<long?>("SELECT MIN(t) FROM records WHERE dev = @device", new { device }) >= cut) continue;
                do
                {
                    using var tx = connection.BeginTransaction();
                    deleted = connection.Execute(
                        """
                        DELETE FROM records WHERE row_id IN (
                            SELECT r.row_id FROM records r WHERE r.dev = @device AND r.t < @cut AND r.row_id <= @processed
                              AND NOT EXISTS (SELECT 1 FROM retention_keep k WHERE k.dev = r.dev AND r.t >= k.lo AND r.t < k.hi AND r.t + r.dur > k.from_time)
                            LIMIT @Batch)
                        """, new { device, cut, processed, Batch }, tx);
                    tx.Commit();
                    records += deleted;
                } while (deleted == Batch);
            }
            do
            {
                using var tx = connection.BeginTransaction();
                deleted = connection.Execute(
                    """
                    DELETE FROM messages WHERE id IN (
                        SELECT m.id FROM messages m WHERE m.received_at < @before AND NOT EXISTS (SELECT 1 FROM records r WHERE r.message_id = m.id)
                        LIMIT @Batch)
                    """, new { before = before.ToUnixTimeMilliseconds(), Batch }, tx);
                tx.Commit();
                messages += deleted;
            } while (deleted == Batch);
            messages += raw.Trim(before, Batch).Messages;
        }
        finally
        {
            connection.Execute("DROP TABLE IF EXISTS temp.retention_keep");
        }
        var result = new RetentionResult(records, messages, leads.Count, before);
        if (records + messages > 0)
            audit.RecordSystem("retention", "retention.trim", "records", null, new
            {
                records, messages, before = before.UtcDateTime, readings_days = policy.ReadingsDays, evidence_years = policy.EvidenceYears, leads_kept = leads.Count,
            });
        return result;
    }
}
