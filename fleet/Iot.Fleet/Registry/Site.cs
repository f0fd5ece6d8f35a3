using Iot.Fleet.Rules;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Registry;

/// <summary>Opening hours of a restaurant (local time); a span may run past midnight.</summary>
public sealed record BusinessHours(string From, string To);

/// <summary>A monitored place: a restaurant kitchen or a construction site; Lat/Lon in WGS-84 degrees. <see cref="Kind"/> is the
/// first of its <see cref="Kinds"/>: a construction site is often noise and dust at once (one integrated monitor).</summary>
public sealed record Site(string Id, string Name, SiteKind Kind, string Timezone, string? Grid, string Profile, IReadOnlyList<BusinessHours> BusinessHours,
    double? Lat = null, double? Lon = null, IReadOnlyList<SiteKind>? Kinds = null)
{
    /// <summary>Every kind of the site, <see cref="Kind"/> first.</summary>
    public IReadOnlyList<SiteKind> AllKinds => Kinds is { Count: > 0 } kinds ? kinds : [Kind];

    /// <summary>How the kinds are stored in the `kind` column: comma-separated, the first one alone for a site of one kind.</summary>
    public static string StoredKinds(IEnumerable<SiteKind> kinds) => string.Join(",", kinds.Select(k => k.ToString().ToLowerInvariant()));

    public static IReadOnlyList<SiteKind> ParseKinds(string stored) =>
        stored.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(k => Enum.Parse<SiteKind>(k, ignoreCase: true)).ToList();
}

/// <summary>A gateway and the site it speaks for.</summary>
public sealed record Device(string Id, string? Site, DateTimeOffset CreatedAt);

/// <summary>Where a night-work permit (夜间施工证明/报备) stands: `filed`, then `approved` or `refused`; an approved one
/// may be `revoked`. Only approved permits that are not revoked count for the rules.</summary>
public static class PermitStatus
{
    public const string Filed = "filed";
    public const string Approved = "approved";
    public const string Refused = "refused";
    public const string Revoked = "revoked";

    /// <summary>The statuses a permit may move to from <paramref name="status"/>.</summary>
    public static IReadOnlyList<string> Next(string status) => status switch
    {
        Filed => [Approved, Refused],
        Approved => [Revoked],
        _ => [],
    };
}

/// <summary>One step of a permit's life: the status it took, who decided (login or token name), when, and why
/// (required to refuse or revoke).</summary>
public sealed record PermitStep(string Status, string By, DateTimeOffset At, string? Reason);

/// <summary>A night-work permit of a site: the span it allows night work in, the permit office's reference, and its
/// history, oldest first (the last step is the status).</summary>
public sealed record NightWorkPermit(long Id, string Site, DateTimeOffset From, DateTimeOffset To, string Status, string? Reference, string? Note,
    IReadOnlyList<PermitStep> History);
