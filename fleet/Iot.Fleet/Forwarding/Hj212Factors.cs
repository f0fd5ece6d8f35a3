using System.Globalization;
using Names = Iot.Contract.Channel;

namespace Iot.Fleet.Forwarding;

/// <summary>How one of our channels goes to a platform: its factor code, the factor from our unit to HJ 212's, and the
/// decimals sent (fixed, so a frame made again from the same records is the same text).</summary>
public sealed record Factor(string Code, double Scale, int Decimals)
{
    public string Format(double value) => Math.Round(value * Scale, Decimals, MidpointRounding.AwayFromZero).ToString("0." + new string('#', Decimals), CultureInfo.InvariantCulture);
}

/// <summary>The factor codes of HJ 212-2017 App. B (and a50001, what dust platforms use for noise) for our channels; a
/// platform's `Codes` replace the code (e.g. laeq → Leq). Particulates go in mg/m³ (we measure µg/m³).</summary>
public static class Hj212Factors
{
    public static readonly IReadOnlyDictionary<string, Factor> Default = new Dictionary<string, Factor>(StringComparer.Ordinal)
    {
        [Names.Name(Names.Pm10)] = new("a34002", 0.001, 3),
        [Names.Name(Names.Pm25)] = new("a34004", 0.001, 3),
        [Names.Name(Names.Tsp)] = new("a34001", 0.001, 3),
        [Names.Name(Names.Temp)] = new("a01001", 1, 1),
        [Names.Name(Names.Rh)] = new("a01002", 1, 1),
        [Names.Name(Names.Wind)] = new("a01007", 1, 1),
        [Names.Name(Names.Wdir)] = new("a01008", 1, 0),
        [Names.Name(Names.Laeq)] = new("a50001", 1, 1),
    };

    /// <summary>The factors a platform receives: the defaults with its codes over them.</summary>
    public static IReadOnlyDictionary<string, Factor> For(PlatformOptions platform)
    {
        var factors = new Dictionary<string, Factor>(Default, StringComparer.Ordinal);
        foreach (var (channel, code) in platform.Codes)
        {
            if (string.IsNullOrWhiteSpace(code)) factors.Remove(channel);
            else factors[channel] = factors.TryGetValue(channel, out var known) ? known with { Code = code } : new Factor(code, 1, 3);
        }
        return factors;
    }
}
