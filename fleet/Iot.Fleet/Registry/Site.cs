using Iot.Fleet.Rules;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Registry;

/// <summary>Opening hours of a restaurant (local time); a span may run past midnight.</summary>
public sealed record BusinessHours(string From, string To);

/// <summary>A monitored place (点位): a restaurant kitchen or a construction site; Lat/Lon in WGS-84 degrees. <see cref="Kind"/> is the
/// first of its <see cref="Kinds"/>: a construction site is often noise and dust at once (one integrated monitor). The register
/// (台账) part: its address, its liable party's code (<see cref="LiableParty"/>), the contact on site, the cooking heads (灶头数)
/// of a kitchen and the construction project's name. <see cref="Version"/> counts its edits (<c>SiteRegistry.Edit</c>).</summary>
public sealed record Site(string Id, string Name, SiteKind Kind, string Timezone, string? Grid, string Profile, IReadOnlyList<BusinessHours> BusinessHours,
    double? Lat = null, double? Lon = null, IReadOnlyList<SiteKind>? Kinds = null,
    string? Address = null, string? Party = null, string? Contact = null, string? Phone = null, int? CookingHeads = null, string? Project = null,
    long Version = 0)
{
    /// <summary>Every kind of the site, <see cref="Kind"/> first.</summary>
    public IReadOnlyList<SiteKind> AllKinds => Kinds is { Count: > 0 } kinds ? kinds : [Kind];

    /// <summary>Its business hours in its time zone (always open when none are recorded).</summary>
    public OpeningHours OpeningHours() =>
        Rules.OpeningHours.Parse(TimeZoneInfo.FindSystemTimeZoneById(Timezone), BusinessHours.Select(h => (h.From, h.To)));

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

/// <summary>
/// Body of PATCH /api/sites/{id}: the fields to change (absent or null: unchanged; an empty text clears an optional field),
/// and why. `version`, when given, is the version the editor read: an edit made meanwhile refuses this one.
/// </summary>
public sealed record SiteChange(string? Name = null, string? Address = null, string? Party = null, string? Contact = null, string? Phone = null,
    int? CookingHeads = null, string? Project = null, string? Grid = null, double? Lat = null, double? Lon = null, string? Profile = null,
    List<BusinessHours>? BusinessHours = null, string? Timezone = null, string? Reason = null, long? Version = null)
{
    public Site ApplyTo(Site site) => site with
    {
        Name = Name?.Trim() ?? site.Name,
        Address = RegisterText.Change(Address, site.Address),
        Party = RegisterText.Change(Party, site.Party)?.ToUpperInvariant(),
        Contact = RegisterText.Change(Contact, site.Contact),
        Phone = RegisterText.Change(Phone, site.Phone),
        CookingHeads = CookingHeads ?? site.CookingHeads,
        Project = RegisterText.Change(Project, site.Project),
        Grid = RegisterText.Change(Grid, site.Grid),
        Lat = Lat ?? site.Lat,
        Lon = Lon ?? site.Lon,
        Profile = Profile ?? site.Profile,
        BusinessHours = BusinessHours ?? site.BusinessHours,
        Timezone = Timezone ?? site.Timezone,
    };
}

/// <summary>How the registers take an optional text: trimmed, and empty means none.</summary>
public static class RegisterText
{
    public static string? Optional(string? text) => text?.Trim() is { Length: > 0 } t ? t : null;

    /// <summary>An edit's value: absent (null) keeps <paramref name="current"/>, empty clears it.</summary>
    public static string? Change(string? given, string? current) => given is null ? current : Optional(given);
}
