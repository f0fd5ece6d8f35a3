namespace Iot.Fleet.Rules;

/// <summary>The limits and hours one site is judged by. The default profile is the national
/// standards of ../shared/spec/rules.md; local profiles only tighten single limits.</summary>
public sealed record RuleProfile(
    string Id,
    string Name,
    double NoiseDayLeq,
    double NoiseNightLeq,
    double NightLmaxAboveLeq,
    double Pm10,
    double Fume,
    TimeOnly NightStarts,
    TimeOnly NightEnds)
{
    /// <summary>GB 12523-2011 noise, GB 18483-2001 fume, 150 µg/m³ PM10; night 22:00–06:00.</summary>
    public static readonly RuleProfile Default = new(
        "default", "National defaults (GB 12523-2011, GB 18483-2001)",
        NoiseDayLeq: 70, NoiseNightLeq: 55, NightLmaxAboveLeq: 15, Pm10: 150, Fume: 2.0,
        NightStarts: new TimeOnly(22, 0), NightEnds: new TimeOnly(6, 0));

    /// <summary>The profiles shipped with the product; a deployment may add its own.</summary>
    public static readonly IReadOnlyList<RuleProfile> Shipped =
    [
        Default,
        Default with { Id = "beijing", Name = "Beijing DB11/1488-2018 (fume 1.0 mg/m³)", Fume = 1.0 },
        Default with { Id = "shanghai", Name = "Shanghai DB31/844-2014 (fume 1.0 mg/m³)", Fume = 1.0 },
        Default with { Id = "hebei", Name = "Hebei DB13/2934-2019 (PM10 80 µg/m³)", Pm10 = 80 },
    ];

    /// <summary>The shipped profile with this id, or null.</summary>
    public static RuleProfile? Find(string? id) =>
        Shipped.FirstOrDefault(p => string.Equals(p.Id, id ?? Default.Id, StringComparison.OrdinalIgnoreCase));

    /// <summary>Highest allowed LAFmax in a night minute.</summary>
    public double NightLmax => NoiseNightLeq + NightLmaxAboveLeq;

    /// <summary>True when the local time of day is night for this profile.</summary>
    public bool IsNight(TimeOnly local) =>
        NightStarts > NightEnds
            ? local >= NightStarts || local < NightEnds
            : local >= NightStarts && local < NightEnds;
}
