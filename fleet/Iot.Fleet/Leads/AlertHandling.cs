using Dapper;
using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;

namespace Iot.Fleet.Leads;

/// <summary>Where an engineer's handling of an integrity alert stands: `open`, `acknowledged` (someone is on it) or
/// `resolved` (with what was done), who and when.</summary>
public sealed record AlertState(long Alert, string State, DateTimeOffset? AcknowledgedAt, string? AcknowledgedBy, DateTimeOffset? ResolvedAt,
    string? ResolvedBy, string? Note);

/// <summary>Body of POST /api/alerts/{id}/acknowledge|resolve: a note (required to resolve: what was done).</summary>
public sealed record AlertStep(string? Note);

/// <summary>
/// Engineers' handling of integrity alerts (offline, tamper, flatline, conflicts, unsigned records, calibration, the fleet's
/// own stages): acknowledge, then resolve with what was done. The alert itself is evidence of the gateway's history and
/// never changes; the handling is kept beside it, audited.
/// </summary>
public sealed class AlertHandling(FleetDatabase database, LeadStore leads, TimeProvider clock)
{
    public const int MaxNote = 1000;
    public const string Open = "open", Acknowledged = "acknowledged", Resolved = "resolved";

    public AlertState Acknowledge(long alert, string? note, AuditScope audit) => Take(alert, Acknowledged, note, audit);

    public AlertState Resolve(long alert, string? note, AuditScope audit)
    {
        if (string.IsNullOrWhiteSpace(note)) throw new RefusalException("say what was done (`note`): the alert's handling keeps it");
        return Take(alert, Resolved, note, audit);
    }

    /// <summary>The handling of each of <paramref name="alerts"/> (open ones too).</summary>
    public IReadOnlyList<AlertState> Of(IReadOnlyCollection<long> alerts)
    {
        using var connection = database.Open();
        var stored = connection.Query<Row>(
                "SELECT lead, acknowledged_at, acknowledged_by, resolved_at, resolved_by, note FROM alert_handling WHERE lead IN @alerts", new { alerts })
            .ToDictionary(r => r.lead);
        return [.. alerts.Select(a => stored.TryGetValue(a, out var row) ? row.State() : new AlertState(a, Open, null, null, null, null, null))];
    }

    private AlertState Take(long alert, string to, string? note, AuditScope audit)
    {
        if (note is { Length: > MaxNote }) throw new RefusalException($"the note has {note.Length} characters; at most {MaxNote}");
        if (leads.Get(alert) is not { Queue: LeadQueue.Integrity }) throw RefusalException.NotFound("alert", alert);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        var before = connection.QueryFirstOrDefault<Row>(
            "SELECT lead, acknowledged_at, acknowledged_by, resolved_at, resolved_by, note FROM alert_handling WHERE lead = @alert", new { alert }, tx)?.State()
            ?? new AlertState(alert, Open, null, null, null, null, null);
        if (before.State == Resolved) throw RefusalException.Conflict($"alert {alert} is resolved already");
        if (before.State == to) throw RefusalException.Conflict($"alert {alert} is {to} already");
        var by = audit.Actor.Name;
        // Resolving an alert nobody acknowledged acknowledges it too: the same person, the same moment.
        connection.Execute(
            """
            INSERT INTO alert_handling (lead, acknowledged_at, acknowledged_by, resolved_at, resolved_by, note)
            VALUES (@alert, @now, @by, @resolvedAt, @resolvedBy, @note)
            ON CONFLICT (lead) DO UPDATE SET resolved_at = excluded.resolved_at, resolved_by = excluded.resolved_by,
                note = COALESCE(excluded.note, alert_handling.note)
            """,
            new { alert, now, by, resolvedAt = to == Resolved ? now : (long?)null, resolvedBy = to == Resolved ? by : null, note = note?.Trim() }, tx);
        var after = connection.QueryFirst<Row>(
            "SELECT lead, acknowledged_at, acknowledged_by, resolved_at, resolved_by, note FROM alert_handling WHERE lead = @alert", new { alert }, tx).State();
        audit.Describe($"alert:{alert}", before, after, note).WriteIn(connection, tx);
        tx.Commit();
        return after;
    }

    private sealed record Row(long lead, long? acknowledged_at, string? acknowledged_by, long? resolved_at, string? resolved_by, string? note)
    {
        public AlertState State() => new(lead, resolved_at is not null ? Resolved : Acknowledged, At(acknowledged_at), acknowledged_by, At(resolved_at), resolved_by, note);

        private static DateTimeOffset? At(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
    }
}
