using Iot.Fleet.Rules;

namespace Iot.Fleet.Registry;

/// <summary>Opening hours of a restaurant (local time); a span may run past midnight.</summary>
public sealed record BusinessHours(string From, string To);

/// <summary>A monitored place: a restaurant kitchen or a construction site; Lat/Lon in WGS-84 degrees.</summary>
public sealed record Site(string Id, string Name, SiteKind Kind, string Timezone, string? Grid, string Profile, IReadOnlyList<BusinessHours> BusinessHours,
    double? Lat = null, double? Lon = null);

/// <summary>A gateway and the site it speaks for.</summary>
public sealed record Device(string Id, string? Site, DateTimeOffset CreatedAt);

/// <summary>A night-work permit of a site.</summary>
public sealed record NightWorkPermit(long Id, string Site, DateTimeOffset From, DateTimeOffset To);
