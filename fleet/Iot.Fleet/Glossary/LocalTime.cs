using System.Collections.Concurrent;
using System.Globalization;

namespace Iot.Fleet.Glossary;

/// <summary>
/// Times as people read them: in the site's time zone, with its offset written out ("2026-12-06 20:15 (+08:00)"),
/// never as UTC — an eight-hour slip against a thirty-minute response target is the trap this closes.
/// </summary>
public static class LocalTime
{
    /// <summary>The zone where a site has none (China has one).</summary>
    public const string BureauZone = "Asia/Shanghai";

    private static readonly ConcurrentDictionary<string, TimeZoneInfo> Zones = new(StringComparer.Ordinal);

    /// <summary>The zone of that IANA id, or the bureau's when it is null or unknown.</summary>
    public static TimeZoneInfo Zone(string? id) =>
        Zones.GetOrAdd(string.IsNullOrEmpty(id) ? BureauZone : id, z =>
            TimeZoneInfo.TryFindSystemTimeZoneById(z, out var zone) ? zone : TimeZoneInfo.FindSystemTimeZoneById(BureauZone));

    /// <summary>"yyyy-MM-dd HH:mm (+hh:mm)" in zone.</summary>
    public static string Format(DateTimeOffset at, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(at, zone);
        return local.ToString("yyyy-MM-dd HH:mm '('zzz')'", CultureInfo.InvariantCulture);
    }

    /// <summary>Format in the zone of that id.</summary>
    public static string Format(DateTimeOffset at, string? zoneId) => Format(at, Zone(zoneId));

    /// <summary>An ISO-8601 text (as the API writes times) in the zone of that id; "—" when it is missing or unreadable.</summary>
    public static string Format(string? iso, string? zoneId) =>
        DateTimeOffset.TryParse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? Format(at, zoneId) : "—";
}
