using System.Globalization;
using System.Text.RegularExpressions;

namespace Iot.Fleet.Rules;

/// <summary>One rule's numbers as entered; what is left out stays as the profile it is based on has it.</summary>
public sealed class RuleSettingDefinition
{
    public double? Limit { get; set; }
    public int? Window { get; set; }
    public double? Coverage { get; set; }
}

/// <summary>
/// A profile or a new version of one as entered through the API (`POST /api/profiles`, `POST /api/profiles/{id}/versions`)
/// or configuration (section `Profiles`, keyed by id). Only what changes need be given: the rest comes from the profile
/// it is based on (`based_on`, default `default`) or, for a new version, from the latest version. The stored version
/// is complete, so it stays explainable whatever later builds ship.
/// </summary>
public sealed partial class ProfileDefinition
{
    public string? Id { get; set; }
    public string? Name { get; set; }
    public string? Source { get; set; }
    public string? BasedOn { get; set; }
    public DateTimeOffset? ValidFrom { get; set; }
    public string? NightStarts { get; set; }
    public string? NightEnds { get; set; }
    public double? FogHumidity { get; set; }
    public Dictionary<string, RuleSettingDefinition>? Rules { get; set; }

    /// <summary>Profile ids: lower-case letters, digits, `-` and `_`, as site records and URLs carry them.</summary>
    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,39}$")]
    public static partial Regex IdPattern();

    /// <summary>Coverage a profile may ask of a window: below half, a window would be judged on less data than it misses.</summary>
    public const double MinimumCoverage = 0.5;

    /// <summary>Relative humidity cut-offs (%) a profile may set: optical dust sensors read true below 50 % whatever the weather.</summary>
    public const double LowestFogHumidity = 50;

    /// <summary>The complete version this definition makes on top of <paramref name="basis"/>, or null with the
    /// problems by field (API names: `night_starts`, `rules.dust.pm10.limit`, …).</summary>
    public RuleProfile? Resolve(RuleProfile basis, string id, int version, DateTimeOffset validFrom, Dictionary<string, string[]> problems)
    {
        void Problem(string field, string message) => problems[field] = [.. problems.GetValueOrDefault(field) ?? [], message];

        var name = Name?.Trim() is { Length: > 0 } n ? n : basis.Name;
        if (name.Length > 200) Problem("name", "a profile name is at most 200 characters");
        var source = Source?.Trim() is { Length: > 0 } s ? s : basis.Source;
        if (source.Length > 2000) Problem("source", "the source is at most 2,000 characters");
        var nightStarts = Hour("nightStarts", NightStarts, basis.NightStarts, Problem);
        var nightEnds = Hour("nightEnds", NightEnds, basis.NightEnds, Problem);
        if (nightStarts == nightEnds) Problem("nightEnds", $"night must end at another time than it starts ({nightStarts:HH\\:mm})");
        var fog = FogHumidity ?? basis.FogHumidity;
        if (!(fog is >= LowestFogHumidity and <= 100))
            Problem("fogHumidity", $"the humidity cut-off is a relative humidity of {LowestFogHumidity:0}…100 %, not {Text(fog)}");

        var rules = new Dictionary<string, RuleSetting>(basis.Rules, StringComparer.Ordinal);
        foreach (var (ruleId, given) in Rules ?? [])
        {
            var field = $"rules.{ruleId}";
            if (Rule.All.FirstOrDefault(r => r.Id == ruleId) is not { } rule)
            {
                Problem(field, $"unknown rule '{ruleId}'; rules: {string.Join(", ", Rule.All.Select(r => r.Id))}");
                continue;
            }
            if (given is null) continue;
            var setting = new RuleSetting(given.Limit ?? basis.LimitOf(ruleId), given.Window ?? basis.WindowOf(ruleId), given.Coverage ?? basis.CoverageOf(ruleId));
            var (lowest, highest) = rule.PlausibleLimits;
            if (!(setting.Limit > 0 && setting.Limit >= lowest && setting.Limit <= highest))
                Problem($"{field}.limit", $"a limit for {ruleId} is {Text(lowest)}…{Text(highest)} {rule.Unit}, not {Text(setting.Limit)}");
            var (shortest, longest) = rule.SensibleWindows;
            if (setting.Window is < 1 or > 24 * 60)
                Problem($"{field}.window", $"a window is 1…1440 minutes, not {setting.Window}");
            else if (setting.Window < shortest || setting.Window > longest)
                Problem($"{field}.window", $"a window for {ruleId} is {shortest}…{longest} minutes, not {setting.Window}");
            if (!(setting.Coverage is >= MinimumCoverage and <= 1))
                Problem($"{field}.coverage", $"coverage is the share of a window's minutes that must be valid, {MinimumCoverage}…1, not {Text(setting.Coverage)}");
            rules[ruleId] = setting;
        }
        if (problems.Count > 0) return null;
        return new RuleProfile
        {
            Id = id, Version = version, Name = name, Source = source, ValidFrom = validFrom,
            NightStarts = nightStarts, NightEnds = nightEnds, FogHumidity = fog, Rules = rules,
        };
    }

    private static TimeOnly Hour(string field, string? given, TimeOnly basis, Action<string, string> problem)
    {
        if (given is null) return basis;
        if (TimeOnly.TryParseExact(given, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var hour)) return hour;
        problem(field, $"a time of day is HH:mm (local time, e.g. 22:00), not '{given}'");
        return basis;
    }

    private static string Text(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
