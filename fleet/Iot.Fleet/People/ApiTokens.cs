using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.Storage;

namespace Iot.Fleet.People;

/// <summary>A person's API token as the API shows it: never the token itself.</summary>
public sealed record ApiTokenView(long Id, string Owner, string Name, DateTime Created, DateTime? LastUsed, DateTime? Revoked);

/// <summary>Answer of POST /api/tokens: the token, shown this once.</summary>
public sealed record ApiTokenCreated(long Id, string Owner, string Name, DateTime Created, string Token);

/// <summary>API tokens for tools (`Authorization: Bearer iotk_…`). A token is `iotk_{id}_{secret}`; the
/// database keeps only the SHA-256 of the secret, compared in constant time. A token acts as its owner,
/// with the owner's current role, and stops working when revoked or when the owner is disabled.</summary>
public sealed class ApiTokens(FleetDatabase database, PeopleStore people, TimeProvider clock)
{
    public const string Prefix = "iotk_";

    /// <summary>How stale `last used` may get: one write per token per minute at most.</summary>
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public ApiTokenCreated Create(Person owner, string name, AuditScope audit)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100) throw new RefusalException("a token needs a name (up to 100 characters) that says what uses it");
        var secret = Passwords.NewSecret(32);
        var now = clock.GetUtcNow();
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        var id = connection.ExecuteScalar<long>(
            "INSERT INTO api_tokens (person, name, token_hash, created_at) VALUES (@person, @name, @hash, @now) RETURNING id",
            new { person = owner.Id, name = name.Trim(), hash = Hash(secret), now = now.ToUnixTimeMilliseconds() }, tx);
        var view = new ApiTokenView(id, owner.Login, name.Trim(), FromMs(now.ToUnixTimeMilliseconds()), null, null);
        audit.Describe($"token:{id}", null, view).WriteIn(connection, tx);
        tx.Commit();
        return new ApiTokenCreated(id, owner.Login, view.Name, view.Created, $"{Prefix}{id}_{secret}");
    }

    public ApiTokenView? Find(long id)
    {
        using var connection = database.Open();
        return Query(connection, "t.id = @id", new { id }).FirstOrDefault();
    }

    /// <summary>The tokens of one person, or everyone's when <paramref name="owner"/> is null.</summary>
    public IReadOnlyList<ApiTokenView> Of(long? owner)
    {
        using var connection = database.Open();
        return Query(connection, "@owner IS NULL OR t.person = @owner", new { owner });
    }

    /// <summary>Revokes a token for good; false when it does not exist.</summary>
    public bool Revoke(long id, AuditScope audit)
    {
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        if (Query(connection, "t.id = @id", new { id }, tx).FirstOrDefault() is not { } before) return false;
        connection.Execute("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, @now) WHERE id = @id",
            new { id, now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, tx);
        audit.Describe($"token:{id}", before, Query(connection, "t.id = @id", new { id }, tx).Single()).WriteIn(connection, tx);
        tx.Commit();
        return true;
    }

    /// <summary>The owner and token id of a valid, unrevoked token of an enabled person; null otherwise.</summary>
    public (Person Owner, long TokenId)? Authenticate(string presented)
    {
        if (!presented.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var separator = presented.IndexOf('_', Prefix.Length);
        if (separator < 0 || !long.TryParse(presented.AsSpan(Prefix.Length, separator - Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            return null;
        var secret = presented[(separator + 1)..];
        using var connection = database.Open();
        var rows = connection.Query<(long Person, string Hash, long? LastUsed, long? Revoked)>(
            "SELECT person, token_hash, last_used_at, revoked_at FROM api_tokens WHERE id = @id", new { id }).ToList();
        if (rows is not [var row] || row.Revoked is not null) return null;
        if (!CryptographicOperations.FixedTimeEquals(Convert.FromHexString(Hash(secret)), Convert.FromHexString(row.Hash))) return null;
        if (people.Find(row.Person) is not { Disabled: false } owner) return null;
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (row.LastUsed is not { } used || now - used >= LastUsedResolution.TotalMilliseconds)
            connection.Execute("UPDATE api_tokens SET last_used_at = @now WHERE id = @id", new { id, now });
        return (owner, id);
    }

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static List<ApiTokenView> Query(System.Data.Common.DbConnection connection, string where, object args, System.Data.Common.DbTransaction? tx = null) =>
        connection.Query<(long Id, string Owner, string Name, long Created, long? LastUsed, long? Revoked)>(
                $"""
                SELECT t.id, p.login, t.name, t.created_at, t.last_used_at, t.revoked_at
                FROM api_tokens t JOIN people p ON p.id = t.person WHERE {where} ORDER BY t.id
                """, args, tx)
            .Select(r => new ApiTokenView(r.Id, r.Owner, r.Name, FromMs(r.Created), r.LastUsed is { } u ? FromMs(u) : null, r.Revoked is { } v ? FromMs(v) : null))
            .ToList();

    private static DateTime FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;
}
