using System.Security.Cryptography;
using System.Text;
using Dapper;
using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.Storage;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.People;

/// <summary>Options of the fleet service itself (section "Fleet").</summary>
public sealed class FleetOptions
{
    /// <summary>Bearer token for automation (`./iot up`, tests, benchmarks); acts with the admin role. The fleet keeps
    /// only its SHA-256. Prefer <see cref="AdminTokenSha256"/>, so the configuration holds no usable secret.</summary>
    public string? AdminToken { get; set; }

    /// <summary>The admin token's SHA-256, 64 hex digits (`printf %s "$token" | sha256sum`).</summary>
    public string? AdminTokenSha256 { get; set; }

    /// <summary>Password of the `admin` person created on a fleet without people; generated into a file when empty.</summary>
    public string? InitialAdminPassword { get; set; }
}

/// <summary>Answer of POST /api/admin-token/rotate: the new admin token, shown this once.</summary>
public sealed record AdminTokenRotated(string Token, DateTimeOffset RotatedAt, string Note);

/// <summary>The admin token: the automation path of the bearer scheme (People/BearerAuthentication), acting as role admin
/// with actor kind `admin-token`. Only its SHA-256 is kept, in the fleet database (`admin_token`). A configured token
/// (<see cref="FleetOptions"/>) takes effect when the configuration changes; a rotation through the API replaces it
/// until then, so a restart does not bring a leaked token back. With none configured and none stored, one is made and
/// written to <see cref="FileName"/> in the fleet's data folder (mode 0600); the log says where, never what.</summary>
public sealed class AdminToken
{
    public const string FileName = "admin_token";

    // Another fleet instance on the same database may rotate it: re-read this often.
    private static readonly TimeSpan Reread = TimeSpan.FromSeconds(5);

    private readonly FleetDatabase _database;
    private readonly TimeProvider _clock;
    private readonly Lock _lock = new();
    private byte[] _hash = [];
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;

    public AdminToken(FleetDatabase database, IOptions<FleetOptions> fleet, IOptions<DatabaseOptions> storage, TimeProvider clock, AuditLog audit, ILogger<AdminToken> logger)
    {
        _database = database;
        _clock = clock;
        var configured = Configured(fleet.Value);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        using var connection = database.Open();
        if (configured is not null)
        {
            // One statement, so fleet instances starting together agree.
            var changed = connection.Execute(
                """
                INSERT INTO admin_token (id, sha256, configured_sha256, changed_at) VALUES (1, @configured, @configured, @now)
                ON CONFLICT (id) DO UPDATE SET sha256 = excluded.sha256, configured_sha256 = excluded.configured_sha256, changed_at = excluded.changed_at
                WHERE admin_token.configured_sha256 IS DISTINCT FROM excluded.configured_sha256
                """, new { configured, now });
            if (changed > 0) audit.RecordSystem("fleet", "admin_token.configure", "admin-token:fleet", null, null, "the configured admin token took effect");
        }
        else if (connection.ExecuteScalar<long>("SELECT COUNT(*) FROM admin_token") == 0)
        {
            var token = NewToken();
            if (connection.Execute("INSERT INTO admin_token (id, sha256, changed_at) VALUES (1, @hash, @now) ON CONFLICT (id) DO NOTHING",
                    new { hash = Hex(token), now }) > 0)
            {
                var path = SecretFile.Write(Path.Combine(storage.Value.DataDirectory, FileName), token);
                audit.RecordSystem("fleet", "admin_token.generate", "admin-token:fleet", null, null, "no admin token configured: one was generated");
                logger.LogWarning("No Fleet:AdminToken configured: generated one and wrote it to {Path} (readable by this user only)", path);
            }
        }
        Current();
    }

    /// <summary>True when <paramref name="presented"/> is the admin token (its SHA-256 compared in constant time).</summary>
    public bool Matches(string presented) => CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), Current());

    /// <summary>Replaces the admin token with a new one and returns it; the old one stops working at once here and
    /// within seconds in other fleet instances on the same database.</summary>
    public (string Token, DateTimeOffset At) Rotate(AuditScope audit)
    {
        var token = NewToken();
        var at = _clock.GetUtcNow();
        using var connection = _database.Open();
        using var tx = connection.BeginTransaction();
        connection.Execute("UPDATE admin_token SET sha256 = @hash, changed_at = @at WHERE id = 1", new { hash = Hex(token), at = at.ToUnixTimeMilliseconds() }, tx);
        audit.Describe("admin-token:fleet", null, new { rotatedAt = at }).WriteIn(connection, tx);
        tx.Commit();
        lock (_lock) _readAt = DateTimeOffset.MinValue;
        return (token, at);
    }

    private byte[] Current()
    {
        var now = _clock.GetUtcNow();
        lock (_lock)
        {
            if (now - _readAt < Reread) return _hash;
            using var connection = _database.Open();
            var hex = connection.ExecuteScalar<string?>("SELECT sha256 FROM admin_token WHERE id = 1");
            _hash = hex is null ? [] : Convert.FromHexString(hex);
            _readAt = now;
            return _hash;
        }
    }

    /// <summary>The configured token's SHA-256 as lower-case hex, or null when none is configured.</summary>
    private static string? Configured(FleetOptions options)
    {
        if (options.AdminTokenSha256 is { Length: > 0 } hash)
            return hash.Length == 64 && hash.All(Uri.IsHexDigit)
                ? hash.ToLowerInvariant()
                : throw new InvalidOperationException("Fleet:AdminTokenSha256 must be the token's SHA-256 as 64 hex digits");
        return options.AdminToken is { Length: > 0 } token ? Hex(token) : null;
    }

    private static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    private static string Hex(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}

/// <summary>POST /api/admin-token/rotate (admin only).</summary>
public static class AdminTokenApi
{
    public static void MapAdminTokenApi(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/admin-token/rotate", (HttpContext http, AdminToken adminToken) =>
            {
                var (token, at) = adminToken.Rotate(AuditScope.Of(http));
                return TypedResults.Ok(new AdminTokenRotated(token, at,
                    "Shown this once. The old admin token no longer works: put this one where the old one was (Fleet:AdminToken or Fleet:AdminTokenSha256, .iot/admin_token under ./iot up)."));
            })
            .WithTags("People")
            .RequireRoles(Roles.Admin).Audited("admin_token.rotate");
}

/// <summary>Endpoint filter of the first write endpoints: admits admins only. New code uses
/// <c>.RequireRoles(…)</c> and <c>.Audited(…)</c> (People/README.md) instead.</summary>
public sealed class RequireAdmin : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var user = context.HttpContext.User;
        if (user.Identity?.IsAuthenticated != true)
            return ValueTask.FromResult<object?>(Results.Problem("Sign in (POST /api/login) or send Authorization: Bearer <API token>.", statusCode: StatusCodes.Status401Unauthorized));
        return user.IsInRole(Roles.Admin)
            ? next(context)
            : ValueTask.FromResult<object?>(Results.Problem($"This needs the role {Roles.Admin}.", statusCode: StatusCodes.Status403Forbidden));
    }
}
