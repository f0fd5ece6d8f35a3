namespace Iot.Fleet.Rules;

/// <summary>A span in which a site is judged by another profile (中高考禁噪期, the weeks of the national exams).</summary>
public sealed record QuietSpan(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<RuleProfile> Versions);

/// <summary>Which profile version judges a site at a minute: a quiet period's profile while one lasts, else the
/// site's own; of either, the version valid then (version 1 also before its start, as it holds from the start).</summary>
public sealed class ProfileSchedule(IReadOnlyList<RuleProfile> versions, IReadOnlyList<QuietSpan> quiet)
{
    /// <summary>The site's own profile, oldest version first.</summary>
    public IReadOnlyList<RuleProfile> Versions { get; } = versions.Count > 0 ? versions : throw new ArgumentException("a profile has at least one version", nameof(versions));

    public IReadOnlyList<QuietSpan> Quiet { get; } = quiet;

    private readonly RuleProfile? _only = quiet.Count == 0 && versions.Count == 1 ? versions[0] : null;

    /// <summary>The version in force at the UTC minute (minutes since the epoch).</summary>
    public RuleProfile At(long minute)
    {
        // Most sites have one version and no quiet period; the rules ask for every window.
        if (_only is { } only) return only;
        var time = DateTimeOffset.FromUnixTimeSeconds(minute * 60);
        foreach (var span in Quiet)
            if (span.From <= time && time < span.To) return VersionAt(span.Versions, time);
        return VersionAt(Versions, time);
    }

    /// <summary>Of versions ordered oldest first, the one valid at <paramref name="time"/>.</summary>
    public static RuleProfile VersionAt(IReadOnlyList<RuleProfile> versions, DateTimeOffset time)
    {
        var current = versions[0];
        for (var i = 1; i < versions.Count && versions[i].ValidFrom <= time; i++) current = versions[i];
        return current;
    }
}
