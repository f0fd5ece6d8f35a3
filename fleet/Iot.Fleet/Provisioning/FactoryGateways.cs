using System.Security.Cryptography;
using System.Text;
using Dapper;
using Iot.Contract.Http;
using Iot.Contract.Identity;
using Iot.Fleet.Api;
using Iot.Fleet.Registry;
using Iot.Fleet.Broker;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Provisioning;

/// <summary>Options of the claim flow (section "Provisioning").</summary>
public sealed class ProvisioningOptions
{
    /// <summary>How long after the factory upload a claim code can be used.</summary>
    public TimeSpan ClaimCodeLifetime { get; set; } = TimeSpan.FromDays(365);

    /// <summary>Failed claim attempts one caller may make per <see cref="ClaimAttemptWindow"/> (claim codes are short).</summary>
    public int MaxFailedClaims { get; set; } = 10;

    public TimeSpan ClaimAttemptWindow { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>Where a factory gateway is on its way from the box to its site.</summary>
public sealed record FactoryGateway(string Id, DateTimeOffset UploadedAt, DateTimeOffset ExpiresAt, DateTimeOffset? AnnouncedAt,
    DateTimeOffset? ClaimedAt, string? ClaimedBy, string? Site, DateTimeOffset? SwitchedAt);

/// <summary>
/// Gateways from the factory list: their claim codes (stored as SHA-256 only), their bootstrap broker
/// accounts (Mosquitto hash only), and the claim that binds one to a site. A claim code works once and
/// expires. After the claim the gateway gets its own credentials over its provisioning topic
/// (<see cref="ProvisioningExchange"/>); once it speaks with them, its bootstrap account is revoked.
/// </summary>
public sealed class FactoryGateways(FleetDatabase database, SiteRegistry registry, IOptions<ProvisioningOptions> options, TimeProvider clock,
    BrokerAccounts? broker = null)
{
    /// <summary>Stores the factory list all together or not at all; returns how many gateways it added.</summary>
    public int Upload(IReadOnlyList<FactoryDevice> devices)
    {
        for (var i = 0; i < devices.Count; i++)
        {
            var d = devices[i];
            if (!DeviceId.IsValid(d.Id)) throw new RefusalException($"item {i}: id '{d.Id}' is not a device id", StatusCodes.Status400BadRequest);
            if (ClaimCode.Normalize(d.ClaimCode, out var error) is null) throw new RefusalException($"item {i} ({d.Id}): {error}", StatusCodes.Status400BadRequest);
            if (!BootstrapSecret.IsWellFormed(d.BootstrapSecret)) throw new RefusalException($"item {i} ({d.Id}): bootstrap secret is malformed", StatusCodes.Status400BadRequest);
        }
        var now = clock.GetUtcNow();
        using (var connection = database.Open())
        using (var tx = connection.BeginTransaction())
        {
            foreach (var d in devices)
            {
                var inserted = connection.Execute(
                    """
                    INSERT INTO factory_devices (id, claim_code_hash, uploaded_at, expires_at) VALUES (@id, @hash, @now, @expires)
                    ON CONFLICT DO NOTHING
                    """,
                    new { id = d.Id, hash = Hash(d.ClaimCode), now = now.ToUnixTimeMilliseconds(), expires = (now + options.Value.ClaimCodeLifetime).ToUnixTimeMilliseconds() }, tx);
                if (inserted == 0) throw new RefusalException($"gateway {d.Id} or its claim code is already known; nothing was stored", StatusCodes.Status409Conflict);
                if (connection.ExecuteScalar<long>("SELECT COUNT(*) FROM devices WHERE id = @id", new { id = d.Id }, tx) > 0)
                    throw new RefusalException($"gateway {d.Id} is already registered; nothing was stored", StatusCodes.Status409Conflict);
            }
            tx.Commit();
        }
        // After the commit: a broker account for a gateway the fleet does not know would be a door nobody watches.
        foreach (var d in devices) broker?.AddBootstrap(d.Id, d.BootstrapSecret);
        return devices.Count;
    }

    /// <summary>Binds the gateway behind a claim code to an existing site or a new one.</summary>
    public ClaimResult Claim(ClaimRequest request, string claimedBy) => Claim(request, claimedBy, null).Result;

    /// <summary>The claim with the caller's idempotency key (<see cref="IdempotencyKey"/>): the same claim sent again with
    /// its key by the same caller answers what the first made (Repeated) instead of "already claimed".</summary>
    public (ClaimResult Result, bool Repeated) Claim(ClaimRequest request, string claimedBy, string? requestKey)
    {
        if (ClaimCode.Normalize(request.ClaimCode, out var error) is not { } code) throw new RefusalException(error, StatusCodes.Status400BadRequest);
        if ((request.SiteId is null) == (request.Site is null))
            throw new RefusalException("give either siteId (an existing site) or site (a new one)", StatusCodes.Status400BadRequest);
        var now = clock.GetUtcNow();
        using var connection = database.Open();
        var gateway = connection.QueryFirstOrDefault<(string id, long expires_at, long? claimed_at, string? claimed_by, string? site, string? claim_key)?>(
            "SELECT id, expires_at, claimed_at, claimed_by, site, claim_key FROM factory_devices WHERE claim_code_hash = @hash", new { hash = Hash(code) });
        if (gateway is not { } g) throw new RefusalException("no gateway has this claim code; check the label", StatusCodes.Status404NotFound);
        if (g.claimed_at is not null && requestKey is not null && g.claim_key == requestKey)
            return g.claimed_by == claimedBy && g.site == (request.SiteId ?? request.Site!.Id) ? (new ClaimResult(g.id, g.site!), true) : throw IdempotencyKey.Reused(requestKey);
        if (g.claimed_at is not null) throw new RefusalException($"gateway {g.id} has already been claimed; a claim code works once", StatusCodes.Status409Conflict);
        if (now.ToUnixTimeMilliseconds() > g.expires_at) throw new RefusalException($"the claim code of gateway {g.id} has expired; ask for a new one", StatusCodes.Status410Gone);

        var siteId = request.SiteId ?? request.Site!.Id;
        if (request.Site is { } spec) registry.AddSite(ToSite(spec));
        else if (registry.GetSite(siteId) is null) throw new RefusalException($"site {siteId} does not exist", StatusCodes.Status400BadRequest);
        registry.AddDevice(g.id, siteId);
        // Only one claim wins, even if two installers type the same code at once.
        var won = connection.Execute(
            "UPDATE factory_devices SET claimed_at = @now, claimed_by = @claimedBy, site = @siteId, claim_key = @requestKey WHERE id = @id AND claimed_at IS NULL",
            new { now = now.ToUnixTimeMilliseconds(), claimedBy, siteId, requestKey, id = g.id });
        if (won == 0) throw new RefusalException($"gateway {g.id} has already been claimed; a claim code works once", StatusCodes.Status409Conflict);
        return (new ClaimResult(g.id, siteId), false);
    }

    /// <summary>A gateway announced itself on its provisioning topic; true when it is claimed and waits for credentials.</summary>
    public bool Announced(string deviceId)
    {
        using var connection = database.Open();
        connection.Execute("UPDATE factory_devices SET announced_at = @now WHERE id = @deviceId", new { now = clock.GetUtcNow().ToUnixTimeMilliseconds(), deviceId });
        return connection.ExecuteScalar<long>("SELECT COUNT(*) FROM factory_devices WHERE id = @deviceId AND claimed_at IS NOT NULL AND switched_at IS NULL", new { deviceId }) > 0;
    }

    /// <summary>A claimed gateway spoke with its own credentials: its bootstrap account goes. True the first time.</summary>
    public bool Switched(string deviceId)
    {
        using var connection = database.Open();
        var first = connection.Execute("UPDATE factory_devices SET switched_at = @now WHERE id = @deviceId AND claimed_at IS NOT NULL AND switched_at IS NULL",
            new { now = clock.GetUtcNow().ToUnixTimeMilliseconds(), deviceId }) > 0;
        if (first) broker?.RevokeBootstrap(deviceId);
        return first;
    }

    /// <summary>Gateways claimed that have not yet spoken with their own credentials.</summary>
    public IReadOnlySet<string> AwaitingSwitch()
    {
        using var connection = database.Open();
        return connection.Query<string>("SELECT id FROM factory_devices WHERE claimed_at IS NOT NULL AND switched_at IS NULL").ToHashSet(StringComparer.Ordinal);
    }

    public FactoryGateway? Get(string id)
    {
        using var connection = database.Open();
        var row = connection.QueryFirstOrDefault<(string id, long uploaded_at, long expires_at, long? announced_at, long? claimed_at, string? claimed_by, string? site, long? switched_at)?>(
            "SELECT id, uploaded_at, expires_at, announced_at, claimed_at, claimed_by, site, switched_at FROM factory_devices WHERE id = @id", new { id });
        if (row is not { } r) return null;
        static DateTimeOffset? At(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
        return new FactoryGateway(r.id, DateTimeOffset.FromUnixTimeMilliseconds(r.uploaded_at), DateTimeOffset.FromUnixTimeMilliseconds(r.expires_at),
            At(r.announced_at), At(r.claimed_at), r.claimed_by, r.site, At(r.switched_at));
    }

    /// <summary>The registry's site for a site spec of the provisioning contract.</summary>
    public static Site ToSite(SiteSpec spec)
    {
        if (!Enum.TryParse<Telemetry.SiteKind>(spec.Kind, ignoreCase: true, out var kind) || !Enum.IsDefined(kind))
            throw new RefusalException($"unknown site kind '{spec.Kind}'; use fume, noise or dust");
        return new Site(spec.Id, spec.Name, kind, spec.Timezone ?? "Asia/Shanghai", spec.Grid, spec.Profile ?? Rules.RuleProfile.Default.Id,
            spec.BusinessHours?.Select(h => new BusinessHours(h.From, h.To)).ToList() ?? [], spec.Lat, spec.Lon,
            Address: RegisterText.Optional(spec.Address), Party: RegisterText.Optional(spec.Party)?.ToUpperInvariant(), Contact: RegisterText.Optional(spec.Contact),
            Phone: RegisterText.Optional(spec.Phone), CookingHeads: spec.CookingHeads, Project: RegisterText.Optional(spec.Project));
    }

    private static string Hash(string claimCode) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ClaimCode.Normalize(claimCode, out _) ?? claimCode)));
}
