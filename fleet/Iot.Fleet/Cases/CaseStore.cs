using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Iot.Fleet.Audit;
using Iot.Fleet.Leads;
using Iot.Fleet.Notifications;
using Iot.Fleet.Storage;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Cases;

/// <summary>
/// The cases of enforcement leads. A lead without a row in `cases` is an open case; the row appears with the first
/// step. Every step is one transaction: the case row, its history row, its audit entry and any notification it
/// causes commit together. Steps are serialized in-process, so two inspectors cannot both move the same case from
/// the same state.
/// </summary>
public sealed class CaseStore(FleetDatabase database, LeadStore leads, LeadFeed feed, TimeProvider clock, NotificationOutbox? outbox = null,
    IOptions<ClosedLoopOptions>? options = null)
{
    private readonly Lock _write = new();

    /// <summary>Acknowledged: someone in the command centre has seen the lead and owns it now.</summary>
    public CaseView Acknowledge(long lead, string actor, string? note, AuditScope? audit) =>
        Step(lead, CaseSteps.Acknowledge, actor, audit, (c, _, _, _) =>
        {
            c.Status = CaseStatus.Acknowledged;
            return Data(("note", note));
        });

    /// <summary>Sends the case to <paramref name="squad"/>, or to the squad owning the site's grid when null.</summary>
    public CaseView Dispatch(long lead, string? squad, string actor, string? note, AuditScope? audit) =>
        Step(lead, CaseSteps.Dispatch, actor, audit, (c, l, connection, tx) =>
        {
            var grid = connection.ExecuteScalar<string?>("SELECT grid FROM sites WHERE id = @Site", new { l.Site }, tx);
            var chosen = squad is { Length: > 0 }
                ? Squads.Read(connection, tx, squad) ?? throw new CaseException($"no squad {squad}", StatusCodes.Status400BadRequest)
                : Squads.OwnerOf(connection, tx, grid)
                  ?? throw new CaseException($"no squad owns grid {grid ?? "(none)"} of site {l.Site}; choose a squad (`squad`) or give a squad that grid",
                      StatusCodes.Status409Conflict);
            c.Squad = chosen.Id;
            c.Status = CaseStatus.Dispatched;
            var number = connection.ExecuteScalar<long>("SELECT COUNT(*) FROM case_steps WHERE lead = @lead AND step = 'dispatch'", new { lead }, tx) + 1;
            outbox?.EnqueueLead(connection, tx, NotificationEvents.LeadDispatched, $"{NotificationEvents.LeadDispatched}:{lead}:{number}", l, new JsonObject
            {
                ["squad"] = new JsonObject { ["id"] = chosen.Id, ["name"] = chosen.Name, ["members"] = new JsonArray([.. chosen.Members.Select(m => JsonValue.Create(m))]) },
                ["response_due"] = (l.RaisedAt + CaseRules.ResponseTarget).UtcDateTime,
                ["dispatched_by"] = actor,
            });
            return Data(("squad", chosen.Id), ("automatic", squad is not { Length: > 0 }), ("grid", grid), ("note", note));
        });

    /// <summary>What the squad found on site. A minor first breach becomes a notice (see <see cref="CaseRules.IsMinor"/>).</summary>
    public CaseView Result(long lead, string result, string? note, DateTimeOffset? arrivedAt, string actor, AuditScope? audit)
    {
        if (result is not (CaseStatus.ViolationFound or CaseStatus.NoViolation))
            throw new CaseException($"result must be {CaseStatus.ViolationFound} or {CaseStatus.NoViolation}", StatusCodes.Status400BadRequest);
        if (string.IsNullOrWhiteSpace(note)) throw new CaseException("say in `note` what the squad found on site", StatusCodes.Status400BadRequest);
        return Step(lead, CaseSteps.Result, actor, audit, (c, l, connection, tx) =>
        {
            var now = clock.GetUtcNow();
            var arrived = arrivedAt ?? now;
            if (arrived > now + TimeSpan.FromMinutes(1)) throw new CaseException("arrived_at is in the future", StatusCodes.Status400BadRequest);
            if (arrived < l.RaisedAt - TimeSpan.FromMinutes(1)) throw new CaseException("arrived_at is before the lead was raised", StatusCodes.Status400BadRequest);
            c.RespondedAt = arrived.ToUnixTimeMilliseconds();
            c.Result = result;
            c.ResultNote = note!.Trim();
            c.Status = result;
            if (result == CaseStatus.ViolationFound)
            {
                var confirmedBefore = connection.ExecuteScalar<long>(
                    """
                    SELECT COUNT(*) FROM cases c JOIN leads l ON l.id = c.lead
                    WHERE l.site = @Site AND c.status = 'confirmed' AND c.closed_at >= @since AND c.lead <> @lead
                    """, new { l.Site, since = (now - CaseRules.FirstOffenceLookback).ToUnixTimeMilliseconds(), lead }, tx) > 0;
                if (CaseRules.IsMinor(l, confirmedBefore))
                {
                    c.Notice = 1;
                    c.Extra.Add((CaseSteps.Notice, CaseStatus.Noticed, Data(("why",
                        $"minor first breach: {l.Value:0.###} {l.Unit} is within {CaseRules.MinorMargin:P0} of the limit {l.Limit:0.###} and the site has no confirmed case in 12 months"))));
                }
            }
            return Data(("result", result), ("note", c.ResultNote), ("arrived_at", arrived.UtcDateTime));
        });
    }

    /// <summary>The date by which the operator must put things right.</summary>
    public CaseView Deadline(long lead, DateTimeOffset due, string? note, string actor, AuditScope? audit) =>
        Step(lead, CaseSteps.Deadline, actor, audit, (c, _, _, _) =>
        {
            if (due <= clock.GetUtcNow()) throw new CaseException("the rectification deadline must be in the future", StatusCodes.Status400BadRequest);
            c.RectifyBy = due.ToUnixTimeMilliseconds();
            c.Recheck = null;
            c.Status = CaseStatus.Rectifying;
            return Data(("due", due.UtcDateTime), ("note", note));
        });

    /// <summary>The re-check after the deadline.</summary>
    public CaseView Recheck(long lead, string result, string? note, string actor, AuditScope? audit)
    {
        if (result is not (CaseStatus.Rectified or CaseStatus.NotRectified))
            throw new CaseException($"result must be {CaseStatus.Rectified} or {CaseStatus.NotRectified}", StatusCodes.Status400BadRequest);
        return Step(lead, CaseSteps.Recheck, actor, audit, (c, _, _, _) =>
        {
            c.Recheck = result;
            c.Status = result;
            return Data(("result", result), ("note", note));
        });
    }

    /// <summary>Closes as confirmed, or as dismissed with one of <see cref="CaseRules.DismissReasons"/>. With the two-person
    /// rule (<see cref="ClosedLoopOptions.TwoPersonDismissal"/>), dismissing needs an acknowledged case (409 while it is
    /// open) and someone other than who acknowledged it (403).</summary>
    public CaseView Close(long lead, string outcome, string? reason, string? note, string actor, AuditScope? audit)
    {
        if (outcome is not (CaseStatus.Confirmed or CaseStatus.Dismissed))
            throw new CaseException($"outcome must be {CaseStatus.Confirmed} or {CaseStatus.Dismissed}", StatusCodes.Status400BadRequest);
        if (outcome == CaseStatus.Dismissed)
        {
            if (CaseRules.DismissReasons.All(r => r.Id != reason))
                throw new CaseException($"dismissing needs a reason, one of: {string.Join(", ", CaseRules.DismissReasons.Select(r => r.Id))}", StatusCodes.Status400BadRequest);
            if (reason == CaseRules.OtherReason && string.IsNullOrWhiteSpace(note))
                throw new CaseException("reason `other` needs a note saying why", StatusCodes.Status400BadRequest);
        }
        return Step(lead, $"{CaseSteps.Close}:{outcome}", actor, audit, (c, _, connection, tx) =>
        {
            if (outcome == CaseStatus.Dismissed && (options?.Value ?? new ClosedLoopOptions()).TwoPersonDismissal)
            {
                var raisedBy = connection.ExecuteScalar<string?>(
                    "SELECT actor FROM case_steps WHERE lead = @lead AND step = @step ORDER BY id DESC LIMIT 1", new { lead, step = CaseSteps.Acknowledge }, tx);
                if (raisedBy is null)
                    throw new CaseException($"two-person rule: acknowledge lead {lead} first; then someone else may dismiss it", StatusCodes.Status409Conflict);
                if (raisedBy == actor)
                    throw new CaseException($"two-person rule: {actor} acknowledged lead {lead}, so someone else must dismiss it", StatusCodes.Status403Forbidden);
            }
            c.Outcome = outcome;
            c.CloseReason = outcome == CaseStatus.Dismissed ? reason : null;
            c.CloseNote = note;
            c.ClosedAt = clock.GetUtcNow().ToUnixTimeMilliseconds();
            c.Status = outcome;
            return Data(("outcome", outcome), ("reason", c.CloseReason), ("note", note));
        });
    }

    /// <summary>Marks leads whose response target passed with nobody on site (once per lead, only leads raised in the
    /// last day, so a fleet upgraded with old leads does not flood the groups), each with a history step and a
    /// `lead.overdue` notification in one transaction.</summary>
    public IReadOnlyList<CaseView> DetectOverdue()
    {
        var now = clock.GetUtcNow();
        var changed = new List<CaseView>();
        lock (_write)
        {
            using var connection = database.Open();
            var late = connection.Query<long>(
                """
                SELECT l.id FROM leads l LEFT JOIN cases c ON c.lead = l.id
                WHERE l.queue = 'enforcement' AND l.status = 'new' AND l.raised_at <= @due AND l.raised_at >= @since
                  AND (c.lead IS NULL OR (c.overdue_notified_at IS NULL AND c.responded_at IS NULL AND c.closed_at IS NULL))
                ORDER BY l.id
                """, new { due = (now - CaseRules.ResponseTarget).ToUnixTimeMilliseconds(), since = (now - TimeSpan.FromDays(1)).ToUnixTimeMilliseconds() }).ToList();
            foreach (var id in late)
            {
                using var tx = connection.BeginTransaction();
                var lead = leads.Get(id)!;
                var c = ReadRow(connection, tx, id) ?? CaseRow.Open(id, now);
                c.OverdueNotifiedAt = now.ToUnixTimeMilliseconds();
                c.UpdatedAt = now.ToUnixTimeMilliseconds();
                Upsert(connection, tx, c);
                AddStep(connection, tx, id, CaseSteps.Overdue, c.Status, c.Status, "system", now,
                    Data(("response_due", (lead.RaisedAt + CaseRules.ResponseTarget).UtcDateTime)));
                outbox?.EnqueueLead(connection, tx, NotificationEvents.LeadOverdue, $"{NotificationEvents.LeadOverdue}:{id}", lead, new JsonObject
                {
                    ["response_due"] = (lead.RaisedAt + CaseRules.ResponseTarget).UtcDateTime,
                    ["squad"] = c.Squad is { } s && Squads.Read(connection, tx, s) is { } squad ? new JsonObject { ["id"] = squad.Id, ["name"] = squad.Name } : null,
                    ["status"] = c.Status,
                });
                tx.Commit();
                changed.Add(View(connection, null, lead, c, now, withHistory: true));
            }
        }
        if (changed.Count > 0) outbox?.Wake();
        foreach (var view in changed) feed.PublishCase(view);
        return changed;
    }

    /// <summary>The case of an enforcement lead, with its history.</summary>
    public CaseView Get(long leadId)
    {
        var lead = CaseLead(leadId);
        using var connection = database.Open();
        var c = ReadRow(connection, null, leadId) ?? CaseRow.Open(leadId, lead.RaisedAt);
        return View(connection, null, lead, c, clock.GetUtcNow(), withHistory: true);
    }

    /// <summary>Cases matching the filters, newest lead first; leads nobody touched yet show as `open`.</summary>
    public IReadOnlyList<CaseView> Find(CaseQuery query)
    {
        var now = clock.GetUtcNow();
        using var connection = database.Open();
        var rows = connection.Query<(long Id, string Site, string? Grid, string Rule, long RaisedAt)>(
            """
            SELECT l.id, l.site, s.grid, l.rule, l.raised_at FROM leads l
            LEFT JOIN cases c ON c.lead = l.id LEFT JOIN sites s ON s.id = l.site
            WHERE l.queue = 'enforcement' AND l.status = 'new'
              AND (@Status IS NULL OR COALESCE(c.status, 'open') = @Status)
              AND (@Squad IS NULL OR c.squad = @Squad)
              AND (@Grid IS NULL OR s.grid = @Grid)
              AND (@overdue IS NULL OR (COALESCE(c.responded_at, c.closed_at, @now) > l.raised_at + @target) = @overdue)
            ORDER BY l.raised_at DESC, l.id DESC LIMIT @limit
            """,
            new { query.Status, query.Squad, query.Grid, overdue = query.Overdue is { } o ? (o ? 1 : 0) : (int?)null, now = now.ToUnixTimeMilliseconds(),
                target = (long)CaseRules.ResponseTarget.TotalMilliseconds, limit = Math.Clamp(query.Limit, 1, 5000) }).ToList();
        return rows.Select(r =>
        {
            var lead = leads.Get(r.Id)!;
            var c = ReadRow(connection, null, r.Id) ?? CaseRow.Open(r.Id, lead.RaisedAt);
            return View(connection, null, lead, c, now, withHistory: false);
        }).ToList();
    }

    private Lead CaseLead(long id) => leads.Get(id) switch
    {
        null or { Queue: not LeadQueue.Enforcement } => throw new CaseException($"no lead {id}", StatusCodes.Status404NotFound),
        { Status: not LeadStatus.New } l => throw new CaseException(
            $"lead {id} is {l.Status}: not an enforcement lead, so it has no case", StatusCodes.Status409Conflict),
        var l => l,
    };

    private delegate JsonObject? Apply(CaseRow c, Lead lead, DbConnection connection, DbTransaction tx);

    /// <summary>Checks the step may start from the case's state, applies it, and stores case, history, audit entry and
    /// notifications in one transaction; then tells open pages.</summary>
    private CaseView Step(long leadId, string step, string actor, AuditScope? audit, Apply apply)
    {
        var lead = CaseLead(leadId);
        var name = step.Split(':')[0];
        CaseView after;
        lock (_write)
        {
            var now = clock.GetUtcNow();
            using var connection = database.Open();
            using var tx = connection.BeginTransaction();
            var c = ReadRow(connection, tx, leadId) ?? CaseRow.Open(leadId, now);
            var before = View(connection, tx, lead, c, now, withHistory: false);
            var allowed = CaseSteps.AllowedFrom[step];
            if (!allowed.Contains(c.Status))
                throw new CaseException(
                    $"cannot {step.Replace(':', ' ')} the case of lead {leadId}: it is {c.Status}; that step needs {string.Join(" or ", allowed)}",
                    StatusCodes.Status409Conflict);
            var from = c.Status;
            var data = apply(c, lead, connection, tx);
            c.UpdatedAt = now.ToUnixTimeMilliseconds();
            Upsert(connection, tx, c);
            AddStep(connection, tx, leadId, name, from, c.Status, actor, now, data);
            foreach (var (extraStep, to, extraData) in c.Extra)
            {
                AddStep(connection, tx, leadId, extraStep, c.Status, to, actor, now, extraData);
                c.Status = to;
            }
            if (c.Extra.Count > 0) Upsert(connection, tx, c);
            after = View(connection, tx, lead, c, now, withHistory: true);
            audit?.Describe($"lead:{leadId}", before, after with { History = null }).WriteIn(connection, tx);
            tx.Commit();
        }
        if (name == CaseSteps.Dispatch) outbox?.Wake();
        feed.PublishCase(after);
        return after;
    }

    private static JsonObject? Data(params (string Key, object? Value)[] items)
    {
        var o = new JsonObject();
        foreach (var (key, value) in items)
            if (value is not null) o[key] = JsonSerializer.SerializeToNode(value, NotificationOutbox.Json);
        return o.Count == 0 ? null : o;
    }

    private static void AddStep(DbConnection connection, DbTransaction tx, long lead, string step, string from, string to, string actor, DateTimeOffset at, JsonObject? data) =>
        connection.Execute("INSERT INTO case_steps (lead, step, from_status, to_status, actor, at, data) VALUES (@lead, @step, @from, @to, @actor, @at, @data)",
            new { lead, step, from, to, actor, at = at.ToUnixTimeMilliseconds(), data = data?.ToJsonString(NotificationOutbox.Json) }, tx);

    private static void Upsert(DbConnection connection, DbTransaction tx, CaseRow c) =>
        connection.Execute(
            """
            INSERT INTO cases (lead, status, squad, responded_at, result, result_note, notice, rectify_by, recheck, outcome, close_reason, close_note,
                overdue_notified_at, opened_at, updated_at, closed_at)
            VALUES (@Lead, @Status, @Squad, @RespondedAt, @Result, @ResultNote, @Notice, @RectifyBy, @Recheck, @Outcome, @CloseReason, @CloseNote,
                @OverdueNotifiedAt, @OpenedAt, @UpdatedAt, @ClosedAt)
            ON CONFLICT (lead) DO UPDATE SET status = excluded.status, squad = excluded.squad, responded_at = excluded.responded_at,
                result = excluded.result, result_note = excluded.result_note, notice = excluded.notice, rectify_by = excluded.rectify_by,
                recheck = excluded.recheck, outcome = excluded.outcome, close_reason = excluded.close_reason, close_note = excluded.close_note,
                overdue_notified_at = excluded.overdue_notified_at, updated_at = excluded.updated_at, closed_at = excluded.closed_at
            """, c, tx);

    private static CaseRow? ReadRow(DbConnection connection, DbTransaction? tx, long lead) =>
        connection.QueryFirstOrDefault<CaseRow>(
            """
            SELECT lead AS Lead, status AS Status, squad AS Squad, responded_at AS RespondedAt, result AS Result, result_note AS ResultNote, notice AS Notice,
                rectify_by AS RectifyBy, recheck AS Recheck, outcome AS Outcome, close_reason AS CloseReason, close_note AS CloseNote,
                overdue_notified_at AS OverdueNotifiedAt, opened_at AS OpenedAt, updated_at AS UpdatedAt, closed_at AS ClosedAt
            FROM cases WHERE lead = @lead
            """, new { lead }, tx);

    /// <summary>The history of a case, oldest first.</summary>
    public static IReadOnlyList<CaseStepView> History(DbConnection connection, DbTransaction? tx, long lead) =>
        connection.Query<(string Step, string From, string To, string Actor, long At, string? Data)>(
                "SELECT step, from_status, to_status, actor, at, data FROM case_steps WHERE lead = @lead ORDER BY id", new { lead }, tx)
            .Select(s => new CaseStepView(s.Step, s.From, s.To, s.Actor, Utc(s.At)!.Value, s.Data is null ? null : JsonNode.Parse(s.Data)))
            .ToList();

    private static CaseView View(DbConnection connection, DbTransaction? tx, Lead lead, CaseRow c, DateTimeOffset now, bool withHistory)
    {
        var grid = connection.ExecuteScalar<string?>("SELECT grid FROM sites WHERE id = @Site", new { lead.Site }, tx);
        var due = lead.RaisedAt + CaseRules.ResponseTarget;
        var reference = c.RespondedAt ?? c.ClosedAt ?? now.ToUnixTimeMilliseconds();
        return new CaseView(lead.Id, c.Status, lead.Site, grid, lead.Rule, c.Squad, lead.RaisedAt.UtcDateTime, due.UtcDateTime, Utc(c.RespondedAt),
            reference > due.ToUnixTimeMilliseconds(), c.Result, c.ResultNote, c.Notice != 0, Utc(c.RectifyBy), c.Recheck, c.Outcome, c.CloseReason, c.CloseNote,
            Utc(c.ClosedAt), c.UpdatedAt == 0 ? null : Utc(c.UpdatedAt), withHistory ? History(connection, tx, lead.Id) : null);
    }

    private static DateTime? Utc(long? ms) => ms is { } m ? DateTimeOffset.FromUnixTimeMilliseconds(m).UtcDateTime : null;

    /// <summary>A row of `cases`; <see cref="Extra"/> holds follow-on steps a step implies (the notice after a minor result).</summary>
    private sealed class CaseRow
    {
        public long Lead { get; set; }
        public string Status { get; set; } = CaseStatus.Open;
        public string? Squad { get; set; }
        public long? RespondedAt { get; set; }
        public string? Result { get; set; }
        public string? ResultNote { get; set; }
        public long Notice { get; set; }
        public long? RectifyBy { get; set; }
        public string? Recheck { get; set; }
        public string? Outcome { get; set; }
        public string? CloseReason { get; set; }
        public string? CloseNote { get; set; }
        public long? OverdueNotifiedAt { get; set; }
        public long OpenedAt { get; set; }
        public long UpdatedAt { get; set; }
        public long? ClosedAt { get; set; }
        public List<(string Step, string To, JsonObject? Data)> Extra { get; } = [];

        public static CaseRow Open(long lead, DateTimeOffset at) => new() { Lead = lead, OpenedAt = at.ToUnixTimeMilliseconds() };
    }
}
