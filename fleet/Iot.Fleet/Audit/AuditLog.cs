using System.Data.Common;
using System.Security.Claims;
using System.Text.Json.Nodes;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Iot.Fleet.Api;
using Iot.Fleet.People;
using Iot.Fleet.Storage;

namespace Iot.Fleet.Audit;

/// <summary>Kinds of actor in the audit log.</summary>
public static class ActorKinds
{
    /// <summary>A person signed in with a password (cookie session).</summary>
    public const string Person = "person";
    /// <summary>A person's API token.</summary>
    public const string Token = "token";
    /// <summary>The configured admin token (automation: `./iot up`, tests, benchmarks).</summary>
    public const string AdminToken = "admin-token";
    /// <summary>The fleet itself (first start, housekeeping).</summary>
    public const string System = "system";
    /// <summary>A gateway acting on its own behalf.</summary>
    public const string Device = "device";
}

/// <summary>Who did something: a login, token owner, device id or part of the fleet, and how they acted.</summary>
public sealed record AuditActor(string Name, string Kind)
{
    /// <summary>Claim carrying <see cref="Kind"/> on an authenticated user.</summary>
    public const string KindClaim = "iot:actor_kind";

    public static AuditActor Of(ClaimsPrincipal user) => new(
        user.Identity?.Name is { Length: > 0 } name ? name : "anonymous",
        user.FindFirstValue(KindClaim) ?? "anonymous");

    public static AuditActor System(string name) => new(name, ActorKinds.System);
    public static AuditActor Device(string id) => new(id, ActorKinds.Device);
}

/// <summary>One row of the audit log; `before`/`after` are JSON snapshots of the subject.</summary>
public sealed record AuditEntry(long Id, DateTime At, string Actor, string ActorKind, string Action, string Subject,
    JsonNode? Before, JsonNode? After, string? Note);

/// <summary>Filters of GET /api/audit; each one is an exact match.</summary>
public sealed record AuditQuery(DateTimeOffset? Since = null, string? Actor = null, string? Action = null, string? Subject = null, int Limit = 200);

/// <summary>The append-only record of every write: who, what, when, before and after. The table refuses
/// UPDATE and DELETE itself (triggers in migration 4), so not even a bug in the fleet can rewrite history; and every
/// entry is a link of a hash chain (<see cref="AuditChain"/>), so someone who bypasses the triggers (edits the
/// database file) is found out at the entry they touched.</summary>
public sealed partial class AuditLog(FleetDatabase database, TimeProvider clock)
{
    public const int MaxLimit = 1000;

    /// <summary>Records what the authenticated caller of <paramref name="http"/> did.</summary>
    public long Record(HttpContext http, string action, string subject, object? before, object? after, string? note = null) =>
        Record(AuditActor.Of(http.User), action, subject, before, after, note);

    /// <summary>Records what the fleet itself did, e.g. creating the first admin.</summary>
    public long RecordSystem(string actor, string action, string subject, object? before, object? after, string? note = null) =>
        Record(AuditActor.System(actor), action, subject, before, after, note);

    public long Record(AuditActor actor, string action, string subject, object? before, object? after, string? note = null)
    {
        using var connection = database.Open();
        return Write(connection, null, actor, action, subject, before, after, note);
    }

    /// <summary>Writes an entry inside the caller's transaction, so the change and its entry commit together; the entry
    /// is linked into the hash chain (<see cref="AuditChain"/>) in the same transaction. Without a transaction the
    /// entry and its link get one of their own.</summary>
    public long Write(DbConnection connection, DbTransaction? tx, AuditActor actor, string action, string subject, object? before, object? after, string? note)
    {
        // IMMEDIATE (Microsoft.Data.Sqlite's default): the write lock is held from the start, so the chain's head
        // read below is the newest and no other writer can link in between.
        using var own = tx is null ? connection.BeginTransaction() : null;
        var id = connection.ExecuteScalar<long>(
            """
            INSERT INTO audit_log (at, actor, actor_kind, action, subject, before, after, note)
            VALUES (@at, @Name, @Kind, @action, @subject, @before, @after, @note) RETURNING id
            """,
            new { at = clock.GetUtcNow().ToUnixTimeMilliseconds(), actor.Name, actor.Kind, action, subject, before = Snapshot(before), after = Snapshot(after), note },
            tx ?? own);
        AuditChain.LinkPending(connection, tx ?? own);
        own?.Commit();
        return id;
    }

    /// <summary>Newest first.</summary>
    public IReadOnlyList<AuditEntry> Find(AuditQuery query) => Find(query, new PageRequest(Math.Clamp(query.Limit, 1, MaxLimit))).Items;

    /// <summary>One page, newest first, with how many entries match.</summary>
    public Page<AuditEntry> Find(AuditQuery query, PageRequest page)
    {
        using var connection = database.Open();
        const string matching =
            """
            FROM audit_log WHERE (@since IS NULL OR at >= @since) AND (@Actor IS NULL OR actor = @Actor)
              AND (@Action IS NULL OR action = @Action) AND (@Subject IS NULL OR subject = @Subject)
            """;
        var p = new { since = query.Since?.ToUnixTimeMilliseconds(), query.Actor, query.Action, query.Subject, limit = page.Limit + 1,
            after = page.First ? long.MaxValue : page.Long(0) };
        var total = connection.ExecuteScalar<long>($"SELECT COUNT(*) {matching}", p);
        var rows = connection.Query<(long Id, long At, string Actor, string ActorKind, string Action, string Subject, string? Before, string? After, string? Note)>(
            $"SELECT id, at, actor, actor_kind, action, subject, before, after, note {matching} AND id < @after ORDER BY id DESC LIMIT @limit", p).ToList();
        return page.Of(rows, total, r => PageRequest.Cursor(r.Id), r => new AuditEntry(r.Id, DateTimeOffset.FromUnixTimeMilliseconds(r.At).UtcDateTime, r.Actor,
            r.ActorKind, r.Action, r.Subject, r.Before is null ? null : JsonNode.Parse(r.Before), r.After is null ? null : JsonNode.Parse(r.After), r.Note));
    }

    /// <summary>The subject as JSON, with anything secret-looking blanked: callers pass views without secrets; this is the
    /// second line of defence. Written with the stored names (Api/ApiJson.StoredNames), not the API's casing: the
    /// entries are hashed into the chain, and one action's entries keep one shape over the years.</summary>
    private static string? Snapshot(object? value)
    {
        if (value is null) return null;
        var node = JsonSerializer.SerializeToNode(value, value.GetType(), ApiJson.StoredNames);
        Redact(node);
        return node?.ToJsonString();
    }

    private static void Redact(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var key in o.Select(p => p.Key).ToList())
                {
                    if (Secret().IsMatch(key)) o[key] = "[redacted]";
                    else Redact(o[key]);
                }
                break;
            case JsonArray a:
                foreach (var item in a) Redact(item);
                break;
        }
    }

    [GeneratedRegex("password|passwd|secret|token|salt|hash|credential|claim_?code|sm4_?key", RegexOptions.IgnoreCase)]
    private static partial Regex Secret();
}
