using System.Text.Json;
using Dapper;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;

namespace Iot.Fleet.Leads;

/// <summary>Filters of the lead queue; every one optional.</summary>
public sealed record LeadQuery(DateTimeOffset? Since = null, DateTimeOffset? Until = null, string? Rule = null, string? Site = null, string? Status = null);

/// <summary>Leads and integrity alerts in the fleet database. `status` here is the pipeline's; the inspectors'
/// handling lives in the `cases` table (Cases/), which Save never touches.</summary>
public sealed class LeadStore(FleetDatabase database, Notifications.NotificationOutbox? outbox = null) : ILeadArchive
{
    /// <summary>The cursor saved with the leads: every record up to it has been judged.</summary>
    public const string RulesCursor = "rules";

    /// <summary>The cursor saved with the leads: every event (tamper, conflict) up to it has been judged.</summary>
    public const string EventsCursor = "rules-events";

    /// <summary>Saves the engine's changes and its cursor in one transaction, so a crash either keeps
    /// both or neither and the replay after it raises nothing twice.</summary>
    /// <returns>The leads that were new.</returns>
    public IReadOnlyList<Lead> Save(IReadOnlyCollection<Lead> changes, long? appliedUpTo = null, long? eventsAppliedUpTo = null)
    {
        var created = new List<Lead>();
        try
        {
            return SaveOnce(changes, appliedUpTo, eventsAppliedUpTo, created);
        }
        catch
        {
            // Ids handed out inside the rolled-back transaction do not exist: the leads are new again.
            foreach (var lead in created) lead.Id = 0;
            throw;
        }
    }

    private IReadOnlyList<Lead> SaveOnce(IReadOnlyCollection<Lead> changes, long? appliedUpTo, long? eventsAppliedUpTo, List<Lead> created)
    {
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        foreach (var lead in changes)
        {
            var row = new
            {
                lead.Id, queue = lead.Queue.ToString().ToLowerInvariant(), lead.Rule, lead.Site, devices = JsonSerializer.Serialize(lead.Devices),
                lead.StartMinute, lead.EndMinute, lead.WindowMinutes, lead.Value, lead.Limit, lead.Unit, late = lead.Late ? 1 : 0, lead.Status,
                raised = lead.RaisedAt.ToUnixTimeMilliseconds(), updated = lead.UpdatedAt.ToUnixTimeMilliseconds(), lead.Profile, lead.ProfileVersion, lead.Detail,
            };
            if (lead.Id == 0)
            {
                created.Add(lead);
                lead.Id = connection.ExecuteScalar<long>(
                    """
                    INSERT INTO leads (queue, rule, site, devices, start_minute, end_minute, window_minutes, value, lim, unit, late, status, raised_at, updated_at, profile, detail, profile_version)
                    VALUES (@queue, @Rule, @Site, @devices, @StartMinute, @EndMinute, @WindowMinutes, @Value, @Limit, @Unit, @late, @Status, @raised, @updated, @Profile, @Detail, @ProfileVersion)
                    RETURNING id
                    """, row, tx);
                // Announced in the lead's own transaction: a crash keeps both or neither.
                if (lead is { Queue: LeadQueue.Enforcement, Status: LeadStatus.New })
                    outbox?.EnqueueLead(connection, tx, Notifications.NotificationEvents.LeadNew, $"{Notifications.NotificationEvents.LeadNew}:{lead.Id}", lead);
            }
            else
                connection.Execute(
                    """
                    UPDATE leads SET devices = @devices, start_minute = @StartMinute, end_minute = @EndMinute, value = @Value,
                        status = @Status, updated_at = @updated, detail = @Detail WHERE id = @Id
                    """, row, tx);
        }
        if (appliedUpTo is { } cursor) RecordJournal.SetCursor(connection, tx, RulesCursor, cursor);
        if (eventsAppliedUpTo is { } eventsCursor) RecordJournal.SetCursor(connection, tx, EventsCursor, eventsCursor);
        tx.Commit();
        if (created.Count > 0) outbox?.Wake();
        return created;
    }

    /// <summary>Leads of the queue matching the filters, newest first.</summary>
    public IReadOnlyList<Lead> Find(LeadQueue queue, LeadQuery query, int limit = 1000)
    {
        using var connection = database.Open();
        var sql = "SELECT * FROM leads WHERE queue = @queue";
        if (query.Since is not null) sql += " AND end_minute >= @since";
        if (query.Until is not null) sql += " AND start_minute < @until";
        if (query.Rule is not null) sql += " AND rule = @Rule";
        if (query.Site is not null) sql += " AND site = @Site";
        if (query.Status is not null) sql += " AND status = @Status";
        sql += " ORDER BY start_minute DESC, id DESC LIMIT @limit";
        return connection.Query<LeadRow>(sql, new
        {
            queue = queue.ToString().ToLowerInvariant(), since = query.Since?.ToUnixTimeSeconds() / 60, until = query.Until?.ToUnixTimeSeconds() / 60,
            query.Rule, query.Site, query.Status, limit,
        }).Select(r => r.ToLead()).ToList();
    }

    /// <summary>One lead or alert by id, or null.</summary>
    public Lead? Get(long id)
    {
        using var connection = database.Open();
        return connection.QueryFirstOrDefault<LeadRow>("SELECT * FROM leads WHERE id = @id", new { id })?.ToLead();
    }

    IReadOnlyList<Lead> ILeadArchive.Load(string site, string rule, long sinceMinute)
    {
        using var connection = database.Open();
        return connection.Query<LeadRow>("SELECT * FROM leads WHERE site = @site AND rule = @rule AND end_minute >= @sinceMinute", new { site, rule, sinceMinute })
            .Select(r => r.ToLead()).ToList();
    }

    private sealed record LeadRow(long id, string queue, string rule, string site, string devices, long start_minute, long end_minute, long window_minutes,
        double value, double lim, string unit, long late, string status, long raised_at, long updated_at, string profile, string? detail,
        long profile_version)
    {
        public Lead ToLead() => new()
        {
            Id = id,
            Queue = queue == "integrity" ? LeadQueue.Integrity : LeadQueue.Enforcement,
            Rule = rule,
            Site = site,
            Devices = new SortedSet<string>(JsonSerializer.Deserialize<string[]>(devices)!, StringComparer.Ordinal),
            StartMinute = start_minute,
            EndMinute = end_minute,
            WindowMinutes = (int)window_minutes,
            Value = value,
            Limit = lim,
            Unit = unit,
            Late = late != 0,
            Status = status,
            RaisedAt = DateTimeOffset.FromUnixTimeMilliseconds(raised_at),
            UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(updated_at),
            Profile = profile,
            ProfileVersion = (int)profile_version,
            Detail = detail,
        };
    }
}
