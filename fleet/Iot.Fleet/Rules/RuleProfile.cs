using System.Globalization;

namespace Iot.Fleet.Rules;

/// <summary>One rule's numbers in a profile: the limit (in the rule's unit), the window in minutes and the share of
/// the window's minutes that must be valid before it is judged.</summary>
public sealed record RuleSetting(double Limit, int Window, double Coverage);

/// <summary>
/// One version of a named set of limits and hours that sites are judged by (../shared/spec/rules.md, "Profiles are
/// data"): night start and end, each rule's limit, window and coverage, and the dust humidity cut-off. Profiles live
/// in the fleet database (<see cref="ProfileStore"/>); a change is a new version from its <see cref="ValidFrom"/>, and
/// a lead names the version it was judged by.
/// </summary>
public sealed record RuleProfile
{
    public required string Id { get; init; }

    /// <summary>1, 2, …; version 1 holds from the start, each later one from its <see cref="ValidFrom"/>.</summary>
    public int Version { get; init; } = 1;

    public required string Name { get; init; }

    /// <summary>The standards the numbers come from (number and title), or the notice that set them.</summary>
    public required string Source { get; init; }

    public DateTimeOffset ValidFrom { get; init; } = DateTimeOffset.UnixEpoch;
    public required TimeOnly NightStarts { get; init; }
    public required TimeOnly NightEnds { get; init; }

    /// <summary>Dust minutes at or above this relative humidity (%) are not valid for PM10 (optical sensors over-read in fog and rain).</summary>
    public required double FogHumidity { get; init; }

    /// <summary>Every rule's setting, by rule id; a stored profile names every rule of <see cref="Rule.All"/>.</summary>
    public required IReadOnlyDictionary<string, RuleSetting> Rules { get; init; }

    public double LimitOf(string ruleId) => Setting(ruleId).Limit;
    public int WindowOf(string ruleId) => Setting(ruleId).Window;
    public double CoverageOf(string ruleId) => Setting(ruleId).Coverage;

    private RuleSetting Setting(string ruleId) =>
        Rules.TryGetValue(ruleId, out var setting) ? setting : throw new KeyNotFoundException($"profile {Id} v{Version} has no setting for rule {ruleId}");

    /// <summary>True when the local minute of the day (0–1439) is night for this profile.</summary>
    public bool IsNightMinute(int minuteOfDay)
    {
        int from = NightStarts.Hour * 60 + NightStarts.Minute, to = NightEnds.Hour * 60 + NightEnds.Minute;
        return from > to ? minuteOfDay >= from || minuteOfDay < to : minuteOfDay >= from && minuteOfDay < to;
    }

    /// <summary>True when the local time of day is night for this profile.</summary>
    public bool IsNight(TimeOnly local) =>
        NightStarts > NightEnds
            ? local >= NightStarts || local < NightEnds
            : local >= NightStarts && local < NightEnds;

    /// <summary>"id v2", as leads and pages name it.</summary>
    public override string ToString() => $"{Id} v{Version.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>True when the two versions judge alike (the same hours and numbers), whatever their names and dates.</summary>
    public bool JudgesLike(RuleProfile other) =>
        NightStarts == other.NightStarts && NightEnds == other.NightEnds && FogHumidity.Equals(other.FogHumidity)
        && Rules.Count == other.Rules.Count && Rules.All(r => other.Rules.TryGetValue(r.Key, out var o) && o == r.Value);

    /// <summary>GB 12523-2011: at night, LAFmax may exceed the night limit by at most this much.</summary>
    public const double NightLmaxAboveLeq = 15;

    /// <summary>The national defaults of ../shared/spec/rules.md: the one place each rule's default limit, window and
    /// coverage is written down. Other profiles start from it.</summary>
    public static readonly RuleProfile Default = new()
    {
        Id = "default",
        Name = "National defaults 国家标准",
        Source = "GB 12523-2011 建筑施工场界环境噪声排放标准 (Emission standard of environment noise for boundary of construction site): "
                 + "70 dB(A) day, 55 dB(A) night, LAFmax night + 15 dB(A); "
                 + "GB 18483-2001 饮食业油烟排放标准 (Emission standard of cooking fume): 2.0 mg/m³; "
                 + "PM10 150 µg/m³ over an hour: product default, local standards vary",
        NightStarts = new TimeOnly(22, 0),
        NightEnds = new TimeOnly(6, 0),
        FogHumidity = 90,
        Rules = new Dictionary<string, RuleSetting>(StringComparer.Ordinal)
        {
            ["noise.day_leq"] = new(70, 20, 0.9),
            ["noise.night_leq"] = new(55, 20, 0.9),
            ["noise.night_lmax"] = new(55 + NightLmaxAboveLeq, 1, 0.9),
            ["dust.pm10"] = new(150, 60, 0.9),
            ["fume.concentration"] = new(2.0, 10, 0.9),
            // The purifier's running share below which it counts as off while the fan runs.
            ["fume.purifier_off"] = new(0.5, 10, 0.9),
        },
    };

    /// <summary>The profiles shipped with the product (spec: "Limits profiles worth shipping"); stored as version 1 on
    /// first start, after which they change only by new versions.</summary>
    public static readonly IReadOnlyList<RuleProfile> Shipped =
    [
        Default,
        Default.WithLimit("fume.concentration", 1.0) with
        {
            Id = "beijing",
            Name = "Beijing 北京 (fume 1.0 mg/m³)",
            Source = "DB11/1488-2018 餐饮业大气污染物排放标准 (Emission standard of air pollutants for catering industry, Beijing): "
                     + "fume 1.0 mg/m³; otherwise the national defaults",
        },
        Default.WithLimit("fume.concentration", 1.0) with
        {
            Id = "shanghai",
            Name = "Shanghai 上海 (fume 1.0 mg/m³)",
            Source = "DB31/844-2014 餐饮业油烟排放标准 (Emission standard of cooking fume, Shanghai): fume 1.0 mg/m³; otherwise the national defaults",
        },
        Default.WithLimit("dust.pm10", 80) with
        {
            Id = "hebei",
            Name = "Hebei 河北 (PM10 80 µg/m³)",
            Source = "DB13/2934-2019 施工场地扬尘排放标准 (Emission standard of fugitive dust for construction sites, Hebei): "
                     + "PM10 80 µg/m³; otherwise the national defaults",
        },
    ];

    /// <summary>The shipped profile with this id (the default for null), or null. Stored profiles: <see cref="ProfileStore"/>.</summary>
    public static RuleProfile? Find(string? id) =>
        Shipped.FirstOrDefault(p => string.Equals(p.Id, id ?? Default.Id, StringComparison.OrdinalIgnoreCase));

    /// <summary>This profile with one rule's limit changed.</summary>
    public RuleProfile WithLimit(string ruleId, double limit) =>
        this with { Rules = new Dictionary<string, RuleSetting>(Rules, StringComparer.Ordinal) { [ruleId] = Setting(ruleId) with { Limit = limit } } };
}
