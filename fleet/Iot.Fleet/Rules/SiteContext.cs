using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Rules;

/// <summary>The interval an approved night-work permit counts for; a revoked permit's ends at its revocation.</summary>
public sealed record PermitSpan(long Id, DateTimeOffset From, DateTimeOffset To);

/// <summary>Everything a rule needs to know about the site a window belongs to.</summary>
public sealed class SiteContext(string id, SiteKind kind, TimeZoneInfo timeZone, RuleProfile profile)
{
    public string Id { get; } = id;
    public SiteKind Kind { get; } = kind;

    /// <summary>Every kind of the site (rules v2: a construction site is often noise and dust, from one monitor);
    /// every rule of each applies to every device of the site that reports the rule's channels.</summary>
    public IReadOnlyList<SiteKind> Kinds { get; set; } = [kind];
    public TimeZoneInfo TimeZone { get; } = timeZone;

    /// <summary>The site's profile version in force when the registry was loaded; rules judge by <see cref="ProfileAt"/>.</summary>
    public RuleProfile Profile { get; } = profile;

    /// <summary>The site's profile versions and quiet periods; without one, <see cref="Profile"/> judges every minute.</summary>
    public ProfileSchedule? Schedule { get; set; }

    /// <summary>The profile version in force at the UTC minute (minutes since the epoch): a quiet period's profile while one
    /// lasts, else the site's own; of either, the version valid at that minute.</summary>
    public RuleProfile ProfileAt(long minute) => Schedule?.At(minute) ?? Profile;

    /// <summary>A restaurant's business hours (always open when none are recorded): a tamper event at a fume site in them is
    /// suspected evasion (<see cref="SuspectedEvasion"/>).</summary>
    public OpeningHours BusinessHours { get; set; } = OpeningHours.Always;

    /// <summary>Approved night-work permits, by start; replaced as a whole when one is added or decided.</summary>
    public IReadOnlyList<PermitSpan> Permits { get; set; } = [];

    /// <summary>The site's background noise measurements, oldest first; replaced as a whole when one is recorded.</summary>
    public IReadOnlyList<BackgroundLevel> Backgrounds { get; set; } = [];

    /// <summary>The background level (dB(A)) in force for a window starting at the UTC minute, or null (no correction).</summary>
    public double? BackgroundAt(long startMinute) => BackgroundMeasurementAt(startMinute)?.Level;

    /// <summary>The background measurement in force at the UTC minute: the latest measured at or before it, or null.</summary>
    public BackgroundLevel? BackgroundMeasurementAt(long startMinute)
    {
        BackgroundLevel? inForce = null;
        foreach (var background in Backgrounds)
            if (background.MeasuredAt.ToUnixTimeSeconds() <= startMinute * 60) inForce = background;
        return inForce;
    }

    /// <summary>Devices bound to the site.</summary>
    public IReadOnlyList<string> Devices { get; set; } = [];

    /// <summary>From when a passed commissioning covers each device's data; a device missing here has none.
    /// Commissioning counts per device: a gateway added to a commissioned site needs its own.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> CommissionedFrom { get; set; } = new Dictionary<string, DateTimeOffset>();

    /// <summary>True when the device's window starting at this minute comes from a commissioned installation.</summary>
    public bool CommissionedAt(string device, long startMinute) =>
        CommissionedFrom.TryGetValue(device, out var from) && startMinute * 60 >= from.ToUnixTimeSeconds();

    /// <summary>True when every minute of the window is night in the site's local time.</summary>
    public bool WhollyNight(long startMinute, int minutes) => All(startMinute, minutes, night: true);

    /// <summary>True when every minute of the window is day in the site's local time.</summary>
    public bool WhollyDay(long startMinute, int minutes) => All(startMinute, minutes, night: false);

    /// <summary>True when a permit covers any part of the window.</summary>
    public bool PermitCovers(long startMinute, int minutes) => PermitAt(startMinute, minutes) is not null;

    /// <summary>The id of the approved, unrevoked permit overlapping any part of the window (the earliest starting, when
    /// several do), or null: a night lead carries it so inspectors tell permitted work from work without a permit.</summary>
    public long? PermitAt(long startMinute, int minutes)
    {
        var from = DateTimeOffset.FromUnixTimeSeconds(startMinute * 60);
        var to = from.AddMinutes(minutes);
        PermitSpan? earliest = null;
        foreach (var permit in Permits)
            if (permit.From < to && permit.To > from && (earliest is null || (permit.From, permit.Id).CompareTo((earliest.From, earliest.Id)) < 0))
                earliest = permit;
        return earliest?.Id;
    }

    /// <summary>Night and day by the hours of the profile in force at the window's start, which judges the whole window.</summary>
    private bool All(long startMinute, int minutes, bool night)
    {
        var profile = ProfileAt(startMinute);
        var start = DateTimeOffset.FromUnixTimeSeconds(startMinute * 60);
        var offset = TimeZone.GetUtcOffset(start);
        // The common case, no change of offset inside the window (daylight saving): local minutes of the day by
        // arithmetic, as this runs for every window the rules judge.
        if (TimeZone.GetUtcOffset(start.AddMinutes(minutes)) == offset)
        {
            var local = ((startMinute + (long)offset.TotalMinutes) % MinutesPerDay + MinutesPerDay) % MinutesPerDay;
            for (var i = 0; i < minutes; i++)
                if (profile.IsNightMinute((int)((local + i) % MinutesPerDay)) != night) return false;
            return true;
        }
        for (var i = 0; i < minutes; i++)
        {
            var utc = start.AddMinutes(i);
            if (profile.IsNight(TimeOnly.FromDateTime(utc.ToOffset(TimeZone.GetUtcOffset(utc)).DateTime)) != night) return false;
        }
        return true;
    }

    private const long MinutesPerDay = 24 * 60;
}
