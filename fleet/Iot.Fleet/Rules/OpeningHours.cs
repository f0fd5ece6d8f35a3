namespace Iot.Fleet.Rules;

/// <summary>A restaurant's business hours in its local time, as spans that may run past midnight (22:00–02:00); with none
/// recorded it is always open. Silence (Leads/ActiveHours) and tamper events (RuleEngine) at a fume site in these hours are
/// suspected evasion.</summary>
public sealed class OpeningHours(TimeZoneInfo zone, IReadOnlyList<(TimeOnly From, TimeOnly To)> spans)
{
    /// <summary>No hours recorded: every minute counts as open.</summary>
    public static OpeningHours Always { get; } = new(TimeZoneInfo.Utc, []);

    /// <summary>The spans as the registry stores them ("HH:mm" local times).</summary>
    public static OpeningHours Parse(TimeZoneInfo zone, IEnumerable<(string From, string To)> spans) =>
        new(zone, spans.Select(s => (TimeOnly.ParseExact(s.From, "HH:mm"), TimeOnly.ParseExact(s.To, "HH:mm"))).ToList());

    /// <summary>True when none are recorded (always open).</summary>
    public bool IsAlways => spans.Count == 0;

    /// <summary>True when the UTC minute (minutes since the epoch) falls in a span, in the site's local time.</summary>
    public bool IsOpen(long minute)
    {
        if (spans.Count == 0) return true;
        var local = TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeSeconds(minute * 60), zone).DateTime);
        foreach (var (from, to) in spans)
            if (from <= to ? local >= from && local < to : local >= from || local < to) return true;
        return false;
    }
}
