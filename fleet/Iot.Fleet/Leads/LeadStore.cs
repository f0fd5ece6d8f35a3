using System.Text.Json;
using Dapper;
using Iot.Fleet.Api;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;

namespace Iot.Fleet.Leads;

/// <summary>Filters of the lead queue; every one optional. <see cref="Permit"/>: <see cref="WithPermit"/> or
/// <see cref="WithoutPermit"/> night-work permit (leads of rules that never carry one count as without).</summary>
public sealed record LeadQuery(DateTimeOffset? Since = null, DateTimeOffset? Until = null, string? Rule = null, string? Site = null, string? Status = null,
    string? Permit = null)
{
    public const string WithPermit = "with";
    public const string WithoutPermit = "without";
}

/// <summary>Leads and integrity alerts in the fleet database. `status` here is the pipeline's; the inspectors'
/// handling lives in the `cases` table (Cases/), which Save never touches.</summary>
public sealed class LeadStore(FleetDatabase database, ILeadOutbox? outbox = null, Meters.MeterRegister? meters = null, LeadFeed? feed = null) : ILeadArchive
{
    /// <summary>The cursor saved with the leads: every record up to it has been judged.</summary>
    public const string RulesCursor = "rules";

    /// <summary>The cursor saved with the leads: every event (tamper, conflict) up to it has been judged.</summary>
    public const string EventsCursor = "rules-events";

    /// <summary>Saves the engine's changes and its cursor in one transaction, so a crash either keeps
    /// both or neither and the replay after it raises nothing twice.</summary>
    /// <param name="previous">The cursors as the caller last saved them: when the database holds others, another
    /// instance judged meanwhile and nothing is saved (<see cref="CursorMovedException"/>), so two leaders never both
    /// raise the same lead.</param>
    /// <returns>The leads that were new.</returns>
    public IReadOnlyList<Lead> Save(IReadOnlyCollection<Lead> changes, long? appliedUpTo = null, long? eventsAppliedUpTo = null,
        (long Rules, long Events)? previous = null)
    {
        var created = new List<Lead>();
        try
        {
            return SaveOnce(changes, appliedUpTo, eventsAppliedUpTo, previous, created);
        }
        catch
        {
            // Ids handed out inside the rolled-back transaction do not exist: the leads are new again.
            foreach (var lead in created) lead.Id = 0;
            throw;
        }
    }

    private IReadOnlyList<Lead> SaveOnce(IReadOnlyCollection<Lead> changes, long? appliedUpTo, long? eventsAppliedUpTo,
        (long Rules, long Events)? previous, List<Lead> created)
    {
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        if (previous is { } was)
        {
            RecordJournal.RequireCursor(connection, tx, RulesCursor, was.Rules);
            RecordJournal.RequireCursor(connection, tx, EventsCursor, was.Events);
        }
        foreach (var lead in changes)
        {
            // Graded on every save: an episode that runs past its certificate's last day becomes uncalibrated.
            if (meters is not null && lead.Queue == LeadQueue.Enforcement) lead.Evidence = meters.GradeOf(connection, tx, lead);
            var row = new
            {
                lead.Id, queue = lead.Queue.ToString().ToLowerInvariant(), lead.Rule, lead.Site, devices = JsonSerializer.Serialize(lead.Devices),
                lead.StartMinute, lead.EndMinute, lead.WindowMinutes, lead.Value, lead.Limit, lead.Unit, late = lead.Late ? 1 : 0, lead.Status,
                raised = lead.RaisedAt.ToUnixTimeMilliseconds(), updated = lead.UpdatedAt.ToUnixTimeMilliseconds(), lead.Profile, lead.ProfileVersion, lead.Detail, lead.Permit, lead.Evidence,
            };
            if (lead.Id == 0)
            {
                created.Add(lead);
                lead.Id = connection.ExecuteScalar<long>(
                    """
                    INSERT INTO leads (queue, rule, site, devices, start_minute, end_minute, window_minutes, value, lim, unit, late, status, raised_at, updated_at, profile, detail, permit, profile_version, evidence)
                    VALUES (@queue, @Rule, @Site, @devices, @StartMinute, @EndMinute, @WindowMinutes, @Value, @Limit, @Unit, @late, @Status, @raised, @updated, @Profile, @Detail, @Permit, @ProfileVersion, @Evidence)
                    RETURNING id
                    """, row, tx);
                // Announced in the lead's own transaction: a crash keeps both or neither.
                if (lead is { Queue: LeadQueue.Enforcement, Status: LeadStatus.New })
                    outbox?.EnqueueLead(connection, tx, LeadEvents.New, $"{LeadEvents.New}:{lead.Id}", lead);
            }
            else
                connection.Execute(
                    """
                    UPDATE leads SET devices = @devices, start_minute = @StartMinute, end_minute = @EndMinute, value = @Value,
                        status = @Status, updated_at = @updated, detail = @Detail, permit = @Permit, evidence = @Evidence WHERE id = @Id
                    """, row, tx);
        }
        SaveReconciliation(connection, tx, changes);
        if (appliedUpTo is { } cursor) RecordJournal.SetCursor(connection, tx, RulesCursor, cursor);
        if (eventsAppliedUpTo is { } eventsCursor) RecordJournal.SetCursor(connection, tx, EventsCursor, eventsCursor);
        tx.Commit();
        if (created.Count > 0)
        {
            outbox?.Wake();
            // The one way a lead reaches the live feed: after its commit, whoever raised it.
            feed?.Publish(created);
        }
        return created;
    }

    /// <summary>After every lead of the batch has its id: the merges (with the merged lead's case carried over to the
    /// surviving lead when that one has none, and a `lead.merged` notification) and the history entries.</summary>
    private void SaveReconciliation(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction tx, IReadOnlyCollection<Lead> changes)
    {
        foreach (var lead in changes)
        {
            if (lead.MergedIntoLead is { } into && lead.MergedInto != into.Id)
            {
                lead.MergedInto = into.Id;
                connection.Execute("UPDATE leads SET merged_into = @into WHERE id = @id", new { into = into.Id, id = lead.Id }, tx);
                // The case's steps point at the case: both move together, checked at commit.
                connection.Execute(database.Dialect.DeferForeignKeys, transaction: tx);
                if (connection.Execute("UPDATE cases SET lead = @into WHERE lead = @id AND NOT EXISTS (SELECT 1 FROM cases WHERE lead = @into)",
                        new { into = into.Id, id = lead.Id }, tx) > 0)
                {
                    connection.Execute("UPDATE case_steps SET lead = @into WHERE lead = @id", new { into = into.Id, id = lead.Id }, tx);
                    lead.Note(lead.UpdatedAt, LeadChanges.Merged, "its case carried over to lead {0}", into);
                }
                if (lead.Queue == LeadQueue.Enforcement)
                    outbox?.EnqueueLead(connection, tx, LeadEvents.Merged, $"{LeadEvents.Merged}:{lead.Id}", lead,
                        new System.Text.Json.Nodes.JsonObject { ["merged_into"] = into.Id });
            }
            foreach (var change in lead.PendingHistory)
                connection.Execute("INSERT INTO lead_history (lead, at, change, detail) VALUES (@lead, @at, @change, @detail)",
                    new
                    {
                        lead = lead.Id, at = change.At.ToUnixTimeMilliseconds(), change = change.Change,
                        detail = string.Format(System.Globalization.CultureInfo.InvariantCulture, change.Detail, change.Other?.Id),
                    }, tx);
            lead.PendingHistory.Clear();
        }
    }

    /// <summary>A lead's history: what late records changed, when and why, oldest first.</summary>
    public IReadOnlyList<LeadHistoryEntry> History(long lead)
    {
        using var connection = database.Open();
        return connection.Query<(long at, string change, string detail)>("SELECT at, change, detail FROM lead_history WHERE lead = @lead ORDER BY id", new { lead })
            .Select(h => new LeadHistoryEntry(DateTimeOffset.FromUnixTimeMilliseconds(h.at).UtcDateTime, h.change, h.detail))
            .ToList();
    }

    /// <summary>Leads of the queue matching the filters, newest first (for the fleet's own checks; the API pages).</summary>
    public IReadOnlyList<Lead> Find(LeadQueue queue, LeadQuery query, int limit = 1000)
    {
        using var connection = database.Open();
        return connection.Query<LeadRow>($"SELECT {LeadColumns} FROM leads WHERE {Where(query)} ORDER BY start_minute DESC, id DESC LIMIT @limit",
            Parameters(queue, query, limit)).Select(r => r.ToLead()).ToList();
    }

    /// <summary>One page of the queue, newest first (by first breaching window, then id), with how many match.</summary>
    public Page<Lead> Find(LeadQueue queue, LeadQuery query, PageRequest page)
    {
        using var connection = database.Open();
        var parameters = Parameters(queue, query, page.Limit + 1);
        var total = connection.ExecuteScalar<long>($"SELECT COUNT(*) FROM leads WHERE {Where(query)}", parameters);
        var after = "";
        if (!page.First)
        {
            after = " AND (start_minute < @k0 OR (start_minute = @k0 AND id < @k1))";
            parameters.Add("k0", page.Long(0));
            parameters.Add("k1", page.Long(1));
        }
        var rows = connection.Query<LeadRow>($"SELECT {LeadColumns} FROM leads WHERE {Where(query)}{after} ORDER BY start_minute DESC, id DESC LIMIT @limit", parameters).ToList();
        return page.Of(rows, total, r => PageRequest.Cursor(r.start_minute, r.id), r => r.ToLead());
    }

    private static string Where(LeadQuery query)
    {
        var sql = "queue = @queue";
        if (query.Since is not null) sql += " AND end_minute >= @since";
        if (query.Until is not null) sql += " AND start_minute < @until";
        if (query.Rule is not null) sql += " AND rule = @Rule";
        if (query.Site is not null) sql += " AND site = @Site";
        if (query.Status is not null) sql += " AND status = @Status";
        if (query.Permit == LeadQuery.WithPermit) sql += " AND permit IS NOT NULL";
        if (query.Permit == LeadQuery.WithoutPermit) sql += " AND permit IS NULL";
        return sql;
    }

    private static DynamicParameters Parameters(LeadQueue queue, LeadQuery query, int limit) => new(new
    {
        queue = queue.ToString().ToLowerInvariant(), since = query.Since?.ToUnixTimeSeconds() / 60, until = query.Until?.ToUnixTimeSeconds() / 60,
        query.Rule, query.Site, query.Status, limit,
    });

    /// <summary>One lead or alert by id, or null.</summary>
    public Lead? Get(long id)
    {
        using var connection = database.Open();
        return connection.QueryFirstOrDefault<LeadRow>($"SELECT {LeadColumns} FROM leads WHERE id = @id", new { id })?.ToLead();
    }

    IReadOnlyList<Lead> ILeadArchive.Load(string site, string rule, long sinceMinute)
    {
        using var connection = database.Open();
        return connection.Query<LeadRow>($"SELECT {LeadColumns} FROM leads WHERE site = @site AND rule = @rule AND end_minute >= @sinceMinute", new { site, rule, sinceMinute })
            .Select(r => r.ToLead()).ToList();
    }

    /// <summary>The columns <see cref="LeadRow"/> reads, in its order (named, so a new column never breaks the read).</summary>
    private const string LeadColumns = "id, queue, rule, site, devices, start_minute, end_minute, window_minutes, value, lim, unit, late, status, raised_at, updated_at, profile, detail, permit, merged_into, profile_version, evidence";

    private sealed record LeadRow(long id, string queue, string rule, string site, string devices, long start_minute, long end_minute, long window_minutes,
        double value, double lim, string unit, long late, string status, long raised_at, long updated_at, string profile, string? detail, long? permit, long? merged_into,
        long profile_version, string? evidence)
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
            Permit = permit,
            MergedInto = merged_into,
            Evidence = evidence,
        };
    }
}
