using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Rules;

/// <summary>Outcome of judging one window of one device.</summary>
public enum WindowState
{
    /// <summary>Too few valid minutes or the wrong time of day: neither breach nor clearance.</summary>
    NotJudged,
    Clear,
    Breach,
}

/// <summary>A judged window: its state and the value compared with the limit.</summary>
public readonly record struct WindowVerdict(WindowState State, double Value)
{
    public static readonly WindowVerdict NotJudged = new(WindowState.NotJudged, 0);
}

/// <summary>One enforcement rule of ../shared/spec/rules.md: a rolling window of whole minutes
/// in event time, judged per device.</summary>
public abstract class Rule
{
    public abstract string Id { get; }
    public abstract SiteKind Kind { get; }

    public abstract string Unit { get; }

    /// <summary>The rule's limit in the profile, in <see cref="Unit"/>.</summary>
    public double Limit(RuleProfile profile) => profile.LimitOf(Id);

    /// <summary>Window length in minutes in the profile; the window advances one minute at a time.</summary>
    public int Window(RuleProfile profile) => profile.WindowOf(Id);

    /// <summary>Valid minutes a window needs before it is judged (the profile's coverage of the window, rounded up).</summary>
    public int MinimumValidMinutes(RuleProfile profile) => (int)Math.Ceiling(Window(profile) * profile.CoverageOf(Id) - 1e-9);

    /// <summary>Limits a profile may give the rule, in <see cref="Unit"/>: outside them no standard would write one.</summary>
    public abstract (double Lowest, double Highest) PlausibleLimits { get; }

    /// <summary>Window lengths (minutes) a profile may give the rule.</summary>
    public abstract (int Shortest, int Longest) SensibleWindows { get; }

    /// <summary>Judges the window starting at <paramref name="startMinute"/> (UTC minutes since the epoch).</summary>
    public abstract WindowVerdict Judge(DeviceTimeline timeline, long startMinute, SiteContext site);

    /// <summary>True when <paramref name="candidate"/> is a worse value than <paramref name="current"/>.</summary>
    public virtual bool IsWorse(double candidate, double current) => candidate > current;

    /// <summary>True when the rule does not apply at this minute and the device has a valid record there, which makes
    /// the minute clear for the episode (rules v2): a day rule at night, a night rule by day or across 06:00/22:00,
    /// a fume rule while the fan is off.</summary>
    public virtual bool RestsAt(DeviceTimeline timeline, long minute, SiteContext site) => false;

    /// <summary>True for the rules of the night (their leads name the permit covering them, if any).</summary>
    public virtual bool AtNight => false;

    /// <summary>The channels the rule judges, the one compared with the limit first, then what it is judged beside
    /// (the fan a fume value counts only with); a lead's chart shows these (GET /api/meta).</summary>
    public abstract IReadOnlyList<string> JudgedChannels { get; }

    /// <summary>Every rule the fleet evaluates.</summary>
    public static readonly IReadOnlyList<Rule> All =
    [
        new LeqRule(night: false), new LeqRule(night: true), new NightLmaxRule(),
        new Pm10Rule(), new FumeConcentrationRule(), new PurifierOffRule(),
    ];

}

/// <summary>`noise.day_leq` / `noise.night_leq`: LAeq over 20 minutes (energy mean) above the limit,
/// the window wholly in day or wholly in night (GB 12523-2011).</summary>
public sealed class LeqRule(bool night) : Rule
{
    public override string Id => night ? "noise.night_leq" : "noise.day_leq";
    public override SiteKind Kind => SiteKind.Noise;
    public override (double Lowest, double Highest) PlausibleLimits => night ? (30, 80) : (40, 90);
    // GB 12523-2011 measures 20 minutes; local rules use up to an hour.
    public override (int Shortest, int Longest) SensibleWindows => (5, 60);
    public override string Unit => "dB(A)";
    public override bool AtNight => night;
    public override IReadOnlyList<string> JudgedChannels => [Channels.Laeq];

    private bool InPeriod(long startMinute, SiteContext site) =>
        night ? site.WhollyNight(startMinute, Window(site.ProfileAt(startMinute))) : site.WhollyDay(startMinute, Window(site.ProfileAt(startMinute)));

    public override bool RestsAt(DeviceTimeline timeline, long minute, SiteContext site) =>
        !InPeriod(minute, site) && timeline.TryGetValid(minute, Channels.Laeq, out _);

    public override WindowVerdict Judge(DeviceTimeline timeline, long startMinute, SiteContext site)
    {
        var profile = site.ProfileAt(startMinute);
        // A permit allows the work, not the noise: night windows are judged whether or not one covers them.
        if (!InPeriod(startMinute, site)) return WindowVerdict.NotJudged;
        if (Measured(timeline, startMinute, site) is not { } leq) return WindowVerdict.NotJudged;
        // GB 12523-2011: the rule decides on the level corrected for the site's background noise.
        if (BackgroundCorrection.Corrected(leq, site.BackgroundAt(startMinute)) is not { } corrected) return WindowVerdict.NotJudged;
        return new(corrected > Limit(profile) ? WindowState.Breach : WindowState.Clear, corrected);
    }

    /// <summary>The window's LAeq as measured (energy mean, before the background correction), or null when too few of
    /// its minutes are valid.</summary>
    public double? Measured(DeviceTimeline timeline, long startMinute, SiteContext site)
    {
        var profile = site.ProfileAt(startMinute);
        var window = Window(profile);
        double energy = 0;
        var valid = 0;
        for (var m = startMinute; m < startMinute + window; m++)
        {
            if (!timeline.TryGetValid(m, Channels.Laeq, out var level)) continue;
            energy += Math.Pow(10, level / 10);
            valid++;
        }
        return valid < MinimumValidMinutes(profile) ? null : 10 * Math.Log10(energy / valid);
    }
}

/// <summary>`noise.night_lmax`: a valid night minute with LAFmax above the night limit + 15 dB.</summary>
public sealed class NightLmaxRule : Rule
{
    public override string Id => "noise.night_lmax";
    public override SiteKind Kind => SiteKind.Noise;
    public override (double Lowest, double Highest) PlausibleLimits => (40, 110);
    // The loudest moment of a single minute: the rule has no longer window.
    public override (int Shortest, int Longest) SensibleWindows => (1, 1);
    public override string Unit => "dB(A)";
    public override bool AtNight => true;
    public override IReadOnlyList<string> JudgedChannels => [Channels.Lafmax];

    public override bool RestsAt(DeviceTimeline timeline, long minute, SiteContext site) =>
        !site.WhollyNight(minute, 1) && timeline.TryGetValid(minute, Channels.Lafmax, out _);

    public override WindowVerdict Judge(DeviceTimeline timeline, long startMinute, SiteContext site)
    {
        var profile = site.ProfileAt(startMinute);
        if (!site.WhollyNight(startMinute, 1)) return WindowVerdict.NotJudged;
        if (!timeline.TryGetValid(startMinute, Channels.Lafmax, out var lmax)) return WindowVerdict.NotJudged;
        return new(lmax > Limit(profile) ? WindowState.Breach : WindowState.Clear, lmax);
    }
}

/// <summary>`dust.pm10`: mean PM10 over 60 minutes above the limit; foggy minutes (rh ≥ 90 %) count as missing.</summary>
public sealed class Pm10Rule : Rule
{
    public override string Id => "dust.pm10";
    public override SiteKind Kind => SiteKind.Dust;
    public override (double Lowest, double Highest) PlausibleLimits => (20, 1000);
    // From 15-minute means (some local standards) to daily ones.
    public override (int Shortest, int Longest) SensibleWindows => (15, 24 * 60);
    public override string Unit => "µg/m³";
    public override IReadOnlyList<string> JudgedChannels => [Channels.Pm10];

    public override WindowVerdict Judge(DeviceTimeline timeline, long startMinute, SiteContext site)
    {
        var profile = site.ProfileAt(startMinute);
        var window = Window(profile);
        double sum = 0;
        var valid = 0;
        for (var m = startMinute; m < startMinute + window; m++)
        {
            if (!timeline.TryGetValid(m, Channels.Pm10, out var pm10)) continue;
            if (timeline.TryGetValid(m, Channels.Rh, out var rh) && rh >= profile.FogHumidity) continue;
            sum += pm10;
            valid++;
        }
        if (valid < MinimumValidMinutes(profile)) return WindowVerdict.NotJudged;
        var mean = sum / valid;
        return new(mean > Limit(profile) ? WindowState.Breach : WindowState.Clear, mean);
    }
}

/// <summary>`fume.concentration`: mean fume over 10 minutes above the limit, counting only minutes
/// with the exhaust fan running, and only when at least 5 such minutes are valid (GB 18483-2001).</summary>
public sealed class FumeConcentrationRule : Rule
{
    public override string Id => "fume.concentration";
    public override SiteKind Kind => SiteKind.Fume;
    public override string Unit => "mg/m³";
    public override IReadOnlyList<string> JudgedChannels => [Channels.Fume, Channels.Fan];
    public override (double Lowest, double Highest) PlausibleLimits => (0.1, 20);
    // A window must hold the minimum cooking minutes; longer than a meal's rush says little.
    public override (int Shortest, int Longest) SensibleWindows => (RuleLimits.MinimumCookingMinutes, 60);

    public override bool RestsAt(DeviceTimeline timeline, long minute, SiteContext site) => FanOff(timeline, minute);

    /// <summary>A valid minute with the exhaust fan not running: no cooking, so the fume rules rest.</summary>
    public static bool FanOff(DeviceTimeline timeline, long minute) =>
        timeline.TryGetValid(minute, Channels.Fan, out var fan) && fan < RuleLimits.RunningShare;

    public override WindowVerdict Judge(DeviceTimeline timeline, long startMinute, SiteContext site)
    {
        var profile = site.ProfileAt(startMinute);
        var window = Window(profile);
        double sum = 0;
        int valid = 0, cooking = 0;
        for (var m = startMinute; m < startMinute + window; m++)
        {
            if (!timeline.TryGetValid(m, Channels.Fume, out var fume) || !timeline.TryGetValid(m, Channels.Fan, out var fan)) continue;
            valid++;
            if (fan < RuleLimits.RunningShare) continue;
            sum += fume;
            cooking++;
        }
        if (valid < MinimumValidMinutes(profile)) return WindowVerdict.NotJudged;
        // Fewer cooking minutes than this are too little to judge a concentration on: the window does not breach.
        if (cooking < RuleLimits.MinimumCookingMinutes) return new(WindowState.Clear, cooking == 0 ? 0 : sum / cooking);
        var mean = sum / cooking;
        return new(mean > Limit(profile) ? WindowState.Breach : WindowState.Clear, mean);
    }
}

/// <summary>`fume.purifier_off`: 10 consecutive valid minutes with the fan running and the purifier not.
/// The value is the purifier's mean running share over the window (lower is worse).</summary>
public sealed class PurifierOffRule : Rule
{
    public override string Id => "fume.purifier_off";
    public override SiteKind Kind => SiteKind.Fume;
    public override string Unit => "share";
    public override IReadOnlyList<string> JudgedChannels => [Channels.Pur, Channels.Fan];
    public override (double Lowest, double Highest) PlausibleLimits => (0.1, 0.9);
    public override (int Shortest, int Longest) SensibleWindows => (5, 60);
    public override bool IsWorse(double candidate, double current) => candidate < current;

    public override bool RestsAt(DeviceTimeline timeline, long minute, SiteContext site) => FumeConcentrationRule.FanOff(timeline, minute);

    public override WindowVerdict Judge(DeviceTimeline timeline, long startMinute, SiteContext site)
    {
        var profile = site.ProfileAt(startMinute);
        var window = Window(profile);
        int valid = 0, offWhileFanRuns = 0;
        double purSum = 0;
        for (var m = startMinute; m < startMinute + window; m++)
        {
            if (!timeline.TryGetValid(m, Channels.Fan, out var fan) || !timeline.TryGetValid(m, Channels.Pur, out var pur)) continue;
            valid++;
            purSum += pur;
            if (fan >= RuleLimits.RunningShare && pur < Limit(profile)) offWhileFanRuns++;
        }
        if (valid == window && offWhileFanRuns == window)
            return new(WindowState.Breach, purSum / valid);
        // A clearance needs enough valid minutes and at least one that shows the purifier keeping up.
        if (valid >= MinimumValidMinutes(profile) && offWhileFanRuns < valid) return new(WindowState.Clear, purSum / valid);
        return WindowVerdict.NotJudged;
    }
}
