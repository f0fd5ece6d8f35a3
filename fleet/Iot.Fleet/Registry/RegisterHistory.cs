using System.Data.Common;
using System.Text.Json;
using Dapper;
using Iot.Fleet.Api;

namespace Iot.Fleet.Registry;

/// <summary>One field an edit changed, with its value before and after (null: empty).</summary>
public sealed record FieldChange(string Field, JsonElement? Before, JsonElement? After);

/// <summary>One edit of a register entry: what kind (`edited`, or `moved` for a site whose coordinates changed), when, by whom,
/// why, and the fields it changed.</summary>
public sealed record RegisterChange(long Id, string Change, DateTimeOffset ChangedAt, string ChangedBy, string? Reason, IReadOnlyList<FieldChange> Fields);

/// <summary>
/// The history of the registers (台账): every edit of a site or a liable party as whole snapshots before and after, so an
/// entry can be shown as it stood at any moment (a lead's notice and evidence name the site as it was when the lead was
/// raised, not as it was edited since). Rows are only added.
/// </summary>
public static class RegisterHistory
{
    public const string Sites = "site", Parties = "party";

    public static void Add<T>(DbConnection connection, DbTransaction tx, string register, string entry, string change, string by, string? reason,
        T before, T after) =>
        connection.Execute(
            """
            INSERT INTO register_history (register, entry, change, changed_at, changed_by, reason, before, after)
            VALUES (@register, @entry, @change, @at, @by, @reason, @before, @after)
            """,
            new { register, entry, change, at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), by, reason,
                before = Snapshot(before), after = Snapshot(after) }, tx);

    /// <summary>The stored form of an entry (the audit log's shape).</summary>
    public static string Snapshot<T>(T entry) => JsonSerializer.Serialize(entry, ApiJson.StoredNames);

    /// <summary>The entry as it stood at <paramref name="at"/>: the state after the last edit before then, or before the first
    /// edit after then; null when it was never edited (then it stands as it is now).</summary>
    public static T? At<T>(DbConnection connection, string register, string entry, DateTimeOffset at) where T : class
    {
        var stored = connection.QueryFirstOrDefault<string?>(
                         "SELECT after FROM register_history WHERE register = @register AND entry = @entry AND changed_at <= @at ORDER BY changed_at DESC, id DESC LIMIT 1",
                         new { register, entry, at = at.ToUnixTimeMilliseconds() })
                     ?? connection.QueryFirstOrDefault<string?>(
                         "SELECT before FROM register_history WHERE register = @register AND entry = @entry ORDER BY changed_at, id LIMIT 1",
                         new { register, entry });
        return stored is null ? null : JsonSerializer.Deserialize<T>(stored, ApiJson.StoredNames);
    }

    /// <summary>Every edit of the entry, oldest first, as the fields each changed.</summary>
    public static IReadOnlyList<RegisterChange> Of(DbConnection connection, string register, string entry) =>
        connection.Query<(long id, string change, long changed_at, string changed_by, string? reason, string before, string after)>(
                "SELECT id, change, changed_at, changed_by, reason, before, after FROM register_history WHERE register = @register AND entry = @entry ORDER BY changed_at, id",
                new { register, entry })
            .Select(h => new RegisterChange(h.id, h.change, DateTimeOffset.FromUnixTimeMilliseconds(h.changed_at), h.changed_by, h.reason, Fields(h.before, h.after)))
            .ToList();

    /// <summary>The top-level fields whose stored values differ (the version counter aside).</summary>
    public static IReadOnlyList<FieldChange> Fields(string before, string after)
    {
        using var b = JsonDocument.Parse(before);
        using var a = JsonDocument.Parse(after);
        var old = b.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
        var now = a.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
        return old.Keys.Union(now.Keys).Where(k => k != "version")
            .Select(k => (k, old: Present(old, k), now: Present(now, k)))
            .Where(f => (f.old?.GetRawText() ?? "null") != (f.now?.GetRawText() ?? "null"))
            .Select(f => new FieldChange(f.k, f.old, f.now)).ToList();
    }

    private static JsonElement? Present(Dictionary<string, JsonElement> fields, string name) =>
        fields.TryGetValue(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;
}
