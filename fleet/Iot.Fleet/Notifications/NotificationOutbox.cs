using System.Data.Common;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json;
using System.Text;
using Dapper;
using Iot.Fleet.Api;
using Iot.Fleet.Leads;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Notifications;

/// <summary>Delivery states of a notification row.</summary>
public static class DeliveryStatus
{
    /// <summary>Not delivered yet: never tried, or failed and waiting for its next attempt.</summary>
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    /// <summary>Query value only: pending rows that have failed at least once.</summary>
    public const string Failing = "failing";
}

/// <summary>GET /api/notifications: one event for one target and how its delivery goes.</summary>
public sealed record NotificationView(
    long Id,
    string Event,
    string EventKey,
    string Subject,
    string Target,
    string Kind,
    string Status,
    int Attempts,
    string IdempotencyKey,
    DateTime CreatedAt,
    DateTime? NextAttemptAt,
    DateTime? LastAttemptAt,
    string? LastError,
    DateTime? DeliveredAt);

/// <summary>A row due for delivery, with its event.</summary>
internal sealed record DueNotification(long Id, long EventId, string EventKey, string Event, string Target, string Kind, long Attempts, string Data, long CreatedAt);

/// <summary>
/// The durable outbox: callers write an event and one row per interested target inside the transaction of the
/// change that caused it (a lead saved, a dispatch made, an overdue detected), so either both commit or neither.
/// The event key is unique (`lead.new:42`), and so is (event, target): a replay or a retried request cannot queue
/// a second delivery. <see cref="NotificationSender"/> delivers the rows.
/// </summary>
public sealed class NotificationOutbox(FleetDatabase database, IOptionsMonitor<NotificationOptions> options, TimeProvider clock) : ILeadOutbox
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>Queues <paramref name="event"/> for every target that wants it; false when the key was queued before
    /// (or no target wants it). Runs inside the caller's transaction; call <see cref="Wake"/> after the commit.</summary>
    public bool Enqueue(DbConnection connection, DbTransaction tx, string @event, string key, string subject, JsonObject data)
    {
        var targets = options.CurrentValue.Targets.Where(t => t.Wants(@event)).ToList();
        if (targets.Count == 0) return false;
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        data["event"] = @event;
        data["occurred_at"] = clock.GetUtcNow().UtcDateTime;
        var eventId = connection.ExecuteScalar<long?>(
            "INSERT INTO notification_events (key, event, subject, data, created_at) VALUES (@key, @event, @subject, @data, @now) ON CONFLICT (key) DO NOTHING RETURNING id",
            new { key, @event, subject, data = data.ToJsonString(Json), now }, tx);
        if (eventId is null) return false;
        foreach (var target in targets)
            connection.Execute(
                """
                INSERT INTO notifications (event_id, target, kind, status, next_attempt_at, created_at)
                VALUES (@eventId, @target, @kind, @pending, @now, @now) ON CONFLICT (event_id, target) DO NOTHING
                """,
                new { eventId, target = target.Key, kind = target.Kind, pending = DeliveryStatus.Pending, now }, tx);
        return true;
    }

    /// <summary>Queues a lead event, with the lead as outside tools see it and its site's name and grid.</summary>
    public bool EnqueueLead(DbConnection connection, DbTransaction tx, string @event, string key, Lead lead, JsonObject? extra = null)
    {
        var site = connection.QueryFirstOrDefault<(string Name, string? Grid, string Timezone)?>("SELECT name, grid, timezone FROM sites WHERE id = @Site", new { lead.Site }, tx);
        var data = extra ?? [];
        data["lead"] = JsonSerializer.SerializeToNode(LeadView.Of(lead), Json);
        data["site"] = new JsonObject { ["id"] = lead.Site, ["name"] = site?.Name, ["grid"] = site?.Grid, ["timezone"] = site?.Timezone };
        // Receivers that act on leads automatically must not treat an uncalibrated one as evidence.
        data["evidence_grade"] = lead.Evidence != Meters.EvidenceGrade.Uncalibrated;
        if (options.CurrentValue.PublicUrl is { Length: > 0 } url) data["url"] = $"{url.TrimEnd('/')}/api/leads/{lead.Id}";
        return Enqueue(connection, tx, @event, key, $"lead:{lead.Id}", data);
    }

    /// <summary>Tells the sender that rows were committed.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0) _wake.Release();
    }

    internal Task<bool> Waken(TimeSpan timeout, CancellationToken stop) => _wake.WaitAsync(timeout, stop);

    /// <summary>The key a receiver dedupes on: the same for every attempt of one event to one target, and for no
    /// other pair.</summary>
    public static string IdempotencyKey(string eventKey, string target) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{eventKey}\n{target}")))[..32];

    /// <summary>Newest first. <paramref name="status"/>: pending, delivered or failing (pending after a failed attempt).</summary>
    public IReadOnlyList<NotificationView> Find(string? status, int limit = 200) => Find(status, new PageRequest(Math.Clamp(limit, 1, PageRequest.MaxLimit))).Items;

    /// <summary>One page, newest first, with how many match <paramref name="status"/>.</summary>
    public Page<NotificationView> Find(string? status, PageRequest page)
    {
        using var connection = database.Open();
        var where = status switch
        {
            null or "" => "1 = 1",
            DeliveryStatus.Failing => "n.status = 'pending' AND n.attempts > 0",
            _ => "n.status = @status",
        };
        var p = new { status, limit = page.Limit + 1, after = page.First ? long.MaxValue : page.Long(0) };
        var total = connection.ExecuteScalar<long>($"SELECT COUNT(*) FROM notifications n WHERE {where}", p);
        var rows = connection.Query<(long Id, string Event, string Key, string Subject, string Target, string Kind, string Status, long Attempts, long CreatedAt,
                long NextAttempt, long? LastAttempt, string? LastError, long? DeliveredAt)>(
                $"""
                SELECT n.id, e.event, e.key, e.subject, n.target, n.kind, n.status, n.attempts, n.created_at, n.next_attempt_at, n.last_attempt_at, n.last_error, n.delivered_at
                FROM notifications n JOIN notification_events e ON e.id = n.event_id WHERE {where} AND n.id < @after ORDER BY n.id DESC LIMIT @limit
                """, p).ToList();
        return page.Of(rows, total, r => PageRequest.Cursor(r.Id), r => new NotificationView(r.Id, r.Event, r.Key, r.Subject, r.Target, r.Kind, r.Status,
            (int)r.Attempts, IdempotencyKey(r.Key, r.Target), Utc(r.CreatedAt), r.Status == DeliveryStatus.Pending ? Utc(r.NextAttempt) : null,
            r.LastAttempt is { } l ? Utc(l) : null, r.LastError, r.DeliveredAt is { } d ? Utc(d) : null));
    }

    internal IReadOnlyList<DueNotification> Due(int limit)
    {
        using var connection = database.Open();
        return connection.Query<DueNotification>(
            """
            SELECT n.id AS Id, n.event_id AS EventId, e.key AS EventKey, e.event AS Event, n.target AS Target, n.kind AS Kind, n.attempts AS Attempts,
                   e.data AS Data, n.created_at AS CreatedAt
            FROM notifications n JOIN notification_events e ON e.id = n.event_id
            WHERE n.status = 'pending' AND n.next_attempt_at <= @now ORDER BY n.next_attempt_at, n.id LIMIT @limit
            """, new { now = clock.GetUtcNow().ToUnixTimeMilliseconds(), limit }).ToList();
    }

    /// <summary>When the earliest pending row is due, or null when nothing is pending.</summary>
    /// <summary>For the stall check: notifications due for over a minute, and the latest attempt (which moves
    /// while the sender works, whether or not the receivers answer).</summary>
    public (long Pending, long Position) Overdue()
    {
        using var connection = database.Open();
        var cutoff = clock.GetUtcNow().AddMinutes(-1).ToUnixTimeMilliseconds();
        var (pending, position) = connection.QueryFirst<(long, long)>(
            "SELECT (SELECT COUNT(*) FROM notifications WHERE status = 'pending' AND next_attempt_at < @cutoff), COALESCE((SELECT MAX(last_attempt_at) FROM notifications), 0)",
            new { cutoff });
        return (pending, position);
    }

    internal DateTimeOffset? NextDue()
    {
        using var connection = database.Open();
        return connection.ExecuteScalar<long?>("SELECT MIN(next_attempt_at) FROM notifications WHERE status = 'pending'") is { } ms
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    /// <summary>Marks a row delivered; only a pending row changes, so a row is marked delivered once.</summary>
    internal bool MarkDelivered(long id)
    {
        using var connection = database.Open();
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return connection.Execute(
            "UPDATE notifications SET status = 'delivered', delivered_at = @now, last_attempt_at = @now, attempts = attempts + 1, last_error = NULL WHERE id = @id AND status = 'pending'",
            new { id, now }) == 1;
    }

    internal void MarkFailed(long id, string error, DateTimeOffset nextAttempt)
    {
        using var connection = database.Open();
        connection.Execute(
            "UPDATE notifications SET attempts = attempts + 1, last_attempt_at = @now, last_error = @error, next_attempt_at = @next WHERE id = @id AND status = 'pending'",
            new { id, now = clock.GetUtcNow().ToUnixTimeMilliseconds(), error = error.Length > 500 ? error[..500] : error, next = nextAttempt.ToUnixTimeMilliseconds() });
    }

    private static DateTime Utc(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;
}
