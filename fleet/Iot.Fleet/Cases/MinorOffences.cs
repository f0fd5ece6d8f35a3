using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Iot.Fleet.Leads;
using Iot.Fleet.Rules;
using static System.FormattableString;

namespace Iot.Fleet.Cases;

/// <summary>
/// The bureau's list of minor offences (section "ClosedLoop:MinorOffences"), for notice first (轻微违法告知承诺).
/// Each rule's margin is given in the rule's own terms: decibels over the limit for noise (a logarithmic scale: 20 %
/// over 55 dB(A) would be 11 dB, more than ten times the sound energy), a share over the limit for concentrations,
/// and minutes for a behaviour (the purifier switched off while the fan runs), which by default is never minor.
/// </summary>
public sealed class MinorOffenceOptions
{
    /// <summary>Rule id, or `kind.*` for every rule of a kind, to the largest margin still minor: `3 dB`, `20 %`,
    /// `30 min`, or `never`. A rule id wins over its `kind.*`. Configured entries replace these defaults one by one.</summary>
    public Dictionary<string, string> Margins { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["noise.*"] = "3 dB",
        ["dust.pm10"] = "20 %",
        ["fume.concentration"] = "20 %",
        ["fume.purifier_off"] = "never",
    };

    /// <summary>"First offence": no confirmed case at the site within this many days before the on-site result.</summary>
    public int FirstOffenceDays { get; set; } = 365;
}

/// <summary>What a rule's margin is measured in.</summary>
public enum MarginMeasure
{
    /// <summary>Decibels over the limit (noise levels).</summary>
    Decibels,
    /// <summary>Per cent over the limit (concentrations).</summary>
    Percent,
    /// <summary>How long the episode lasted, in minutes (behaviours, where "how far over" means nothing).</summary>
    Minutes,
}

/// <summary>The fleet's judgement of one violation found on site, or an inspector's decision over it: minor (a notice
/// to the operator) or not (the penalty path). <see cref="Over"/> and <see cref="Allowed"/> are in <see cref="Unit"/>;
/// <see cref="By"/> is `fleet` for the automatic judgement, else the inspector who decided, with the reason.</summary>
/// <remarks>Names pinned in snake_case: also stored as JSON with its case. The API renames them to camelCase (Api/ApiJson).</remarks>
public sealed record MinorDecision(
    bool Minor,
    double Over,
    string Unit,
    double? Allowed,
    [property: JsonPropertyName("first_offence")] bool FirstOffence,
    string Why,
    string By,
    string? Reason = null);

/// <summary>The parsed list of minor offences: the one place where notice first's thresholds are kept.</summary>
public sealed partial class MinorOffences
{
    public const string Section = "ClosedLoop:MinorOffences";
    public const string Fleet = "fleet";

    // Sanity bounds: a margin beyond these is a typing error, not a bureau's policy.
    private static readonly IReadOnlyDictionary<MarginMeasure, double> Largest = new Dictionary<MarginMeasure, double>
    {
        [MarginMeasure.Decibels] = 10, [MarginMeasure.Percent] = 100, [MarginMeasure.Minutes] = 24 * 60,
    };

    private static readonly IReadOnlyDictionary<MarginMeasure, string> Units = new Dictionary<MarginMeasure, string>
    {
        [MarginMeasure.Decibels] = "dB", [MarginMeasure.Percent] = "%", [MarginMeasure.Minutes] = "min",
    };

    /// <summary>Each rule's margin; null when the rule is never minor by margin.</summary>
    private readonly Dictionary<string, double?> _margins;

    private MinorOffences(Dictionary<string, double?> margins, TimeSpan firstOffenceWithin)
    {
        _margins = margins;
        FirstOffenceWithin = firstOffenceWithin;
    }

    /// <summary>A site's breach is a first offence when it had no confirmed case within this span.</summary>
    public TimeSpan FirstOffenceWithin { get; }

    /// <summary>What a rule's margin is measured in: decibels for levels on a dB scale, minutes for a rule where lower
    /// is worse (a running share: a behaviour, not a level), else a share over the limit.</summary>
    public static MarginMeasure MeasureOf(Rule rule) =>
        rule.Unit.StartsWith("dB", StringComparison.Ordinal) ? MarginMeasure.Decibels
        : rule.IsWorse(0, 1) ? MarginMeasure.Minutes
        : MarginMeasure.Percent;

    /// <summary>Parses the options; every mistake is listed, each naming the key and what it should be.</summary>
    public static MinorOffences Parse(MinorOffenceOptions options, out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        var parsed = new Dictionary<string, (MarginMeasure? Measure, double Value)>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, text) in options.Margins)
        {
            var name = $"{Section}:Margins:{key}";
            var exact = Rule.All.Any(r => r.Id.Equals(key, StringComparison.OrdinalIgnoreCase));
            var kind = key.EndsWith(".*", StringComparison.Ordinal) && Rule.All.Any(r => r.Id.StartsWith(key[..^1], StringComparison.OrdinalIgnoreCase));
            if (!exact && !kind)
                problems.Add($"{name}: no rule is called '{key}'; give a rule id ({string.Join(", ", Rule.All.Select(r => r.Id))}) or a kind such as noise.*");
            if (ParseMargin(text) is { } margin) parsed[key] = margin;
            else problems.Add($"{name} = '{text}': give a margin such as '3 dB' (noise), '20 %' (concentrations), '30 min' (behaviours) or 'never'");
        }

        var margins = new Dictionary<string, double?>(StringComparer.Ordinal);
        foreach (var rule in Rule.All)
        {
            var key = parsed.ContainsKey(rule.Id) ? rule.Id : $"{rule.Id[..(rule.Id.IndexOf('.') + 1)]}*";
            if (!parsed.TryGetValue(key, out var margin) || margin.Measure is null)
            {
                margins[rule.Id] = null; // not listed, or `never`
                continue;
            }
            var wanted = MeasureOf(rule);
            var name = $"{Section}:Margins:{key}";
            if (margin.Measure != wanted)
                problems.Add(wanted switch
                {
                    MarginMeasure.Decibels => $"{name}: {rule.Id} is measured in {rule.Unit}, a logarithmic scale, so its margin is in dB over the limit (such as '3 dB'), not {Units[margin.Measure.Value]}",
                    MarginMeasure.Percent => $"{name}: {rule.Id} is a concentration in {rule.Unit}, so its margin is a share over the limit (such as '20 %'), not {Units[margin.Measure.Value]}",
                    _ => $"{name}: {rule.Id} is a behaviour, not a level, so its margin is how long it lasted (such as '30 min') or 'never', not {Units[margin.Measure.Value]}",
                });
            else if (margin.Value > Largest[wanted])
                problems.Add($"{name}: {margin.Value.ToString(CultureInfo.InvariantCulture)} {Units[wanted]} is more than the largest minor margin of {Largest[wanted]} {Units[wanted]}");
            margins[rule.Id] = margin.Value;
        }

        if (options.FirstOffenceDays is < 1 or > 3650)
            problems.Add($"{Section}:FirstOffenceDays = {options.FirstOffenceDays}: give the days (1 to 3650) without a confirmed case that make a first offence");
        errors = problems;
        return new MinorOffences(margins, TimeSpan.FromDays(Math.Clamp(options.FirstOffenceDays, 1, 3650)));
    }

    /// <summary>Parses valid options; throws with every problem listed otherwise (the fleet validates them at start).</summary>
    public static MinorOffences From(MinorOffenceOptions options)
    {
        var offences = Parse(options, out var errors);
        return errors.Count == 0 ? offences : throw new InvalidOperationException(string.Join("; ", errors));
    }

    /// <summary>Judges a violation found on site: minor when the lead's worst value is within the rule's margin and the
    /// site has no confirmed case within <see cref="FirstOffenceWithin"/>.</summary>
    public MinorDecision Assess(Lead lead, bool firstOffence)
    {
        var rule = Rule.All.FirstOrDefault(r => r.Id == lead.Rule);
        var measure = rule is null ? MarginMeasure.Percent : MeasureOf(rule);
        var over = measure switch
        {
            MarginMeasure.Decibels => lead.Value - lead.Limit,
            MarginMeasure.Percent => lead.Limit > 0 ? (lead.Value - lead.Limit) / lead.Limit * 100 : double.PositiveInfinity,
            _ => lead.EndMinute - lead.StartMinute + lead.WindowMinutes,
        };
        over = Math.Round(over, 2);
        var unit = Units[measure];
        var allowed = _margins.GetValueOrDefault(lead.Rule);
        var what = measure == MarginMeasure.Minutes ? Invariant($"lasted {over:0.##} min") : Invariant($"{over:0.##} {unit} over the limit {lead.Limit:0.###} {lead.Unit}");
        var days = FirstOffenceWithin.TotalDays;
        var minor = allowed is { } a && over <= a && firstOffence;
        var why = allowed is not { } margin ? $"{what}; {lead.Rule} is never minor by margin"
            : over > margin ? Invariant($"{what}: more than the {margin:0.##} {unit} of a minor offence")
            : !firstOffence ? Invariant($"{what}, within {margin:0.##} {unit}, but the site had a confirmed case in the last {days:0} days")
            : Invariant($"minor first offence: {what}, within {margin:0.##} {unit}, and no confirmed case at the site in {days:0} days");
        return new MinorDecision(minor, over, unit, allowed, firstOffence, why, Fleet);
    }

    private static (MarginMeasure? Measure, double Value)? ParseMargin(string? text)
    {
        if (text?.Trim() is { } t && t.Equals("never", StringComparison.OrdinalIgnoreCase)) return (null, 0);
        var match = MarginPattern().Match(text ?? "");
        if (!match.Success) return null;
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return (match.Groups[2].Value.ToLowerInvariant() switch { "db" or "db(a)" => MarginMeasure.Decibels, "%" => MarginMeasure.Percent, _ => MarginMeasure.Minutes }, value);
    }

    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*(dB\(A\)|dB|%|min)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex MarginPattern();
}
