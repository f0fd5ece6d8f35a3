using Iot.Fleet.Rules;
using Names = Iot.Contract.Channel;

namespace Iot.Fleet.Telemetry;

/// <summary>A measurement channel of wire protocol v1, with the range outside which a value is rejected.</summary>
public sealed record Channel(string Name, SiteKind Kind, string Unit, double Min, double Max, string Meaning)
{
    /// <summary>True for the measurements the enforcement rules compare with limits (watched for flatlines).</summary>
    public bool Judged { get; init; }

    /// <summary>True when the spec lets a device of the kind leave the channel out.</summary>
    public bool Optional { get; init; }
}

/// <summary>The channels of ../shared/spec/wire-protocol.md as the fleet judges them. Names, units and
/// ranges come from the contract (their one spelling); the fleet adds the kind of site, what the rules
/// judge and what a device may leave out.</summary>
public static class Channels
{
    private static Channel Make(int channel, SiteKind kind, string meaning) =>
        new(Names.Name(channel), kind, Names.Unit(channel), Names.Min(channel), Names.Max(channel), meaning);

    public static readonly IReadOnlyList<Channel> All =
    [
        Make(Names.Laeq, SiteKind.Noise, "A-weighted equivalent continuous level") with { Judged = true },
        Make(Names.Lafmax, SiteKind.Noise, "highest A-weighted fast level") with { Judged = true },
        Make(Names.L10, SiteKind.Noise, "level exceeded 10 % of the time") with { Judged = true, Optional = true },
        Make(Names.L90, SiteKind.Noise, "level exceeded 90 % of the time") with { Judged = true, Optional = true },
        Make(Names.Pm10, SiteKind.Dust, "mean PM10 mass concentration") with { Judged = true },
        Make(Names.Pm25, SiteKind.Dust, "mean PM2.5 mass concentration") with { Judged = true },
        Make(Names.Tsp, SiteKind.Dust, "mean total suspended particulate") with { Judged = true, Optional = true },
        Make(Names.Wind, SiteKind.Dust, "mean wind speed") with { Optional = true },
        Make(Names.Wdir, SiteKind.Dust, "mean wind direction") with { Optional = true },
        Make(Names.Rh, SiteKind.Dust, "mean relative humidity") with { Judged = true, Optional = true },
        Make(Names.Temp, SiteKind.Dust, "mean air temperature") with { Optional = true },
        Make(Names.Fume, SiteKind.Fume, "mean cooking-fume concentration at the purifier outlet") with { Judged = true },
        Make(Names.Fan, SiteKind.Fume, "share of the window the exhaust fan ran"),
        Make(Names.Pur, SiteKind.Fume, "share of the window the purifier ran"),
        Make(Names.FanA, SiteKind.Fume, "mean fan supply current") with { Optional = true },
        Make(Names.PurA, SiteKind.Fume, "mean purifier supply current") with { Optional = true },
    ];

    // The channels the rules read, by name.
    public static readonly string Laeq = Names.Name(Names.Laeq);
    public static readonly string Lafmax = Names.Name(Names.Lafmax);
    public static readonly string L10 = Names.Name(Names.L10);
    public static readonly string L90 = Names.Name(Names.L90);
    public static readonly string Pm10 = Names.Name(Names.Pm10);
    public static readonly string Rh = Names.Name(Names.Rh);
    public static readonly string Fume = Names.Name(Names.Fume);
    public static readonly string Fan = Names.Name(Names.Fan);
    public static readonly string Pur = Names.Name(Names.Pur);

    private static readonly byte[][] Utf8Names = All.Select(c => System.Text.Encoding.UTF8.GetBytes(c.Name)).ToArray();

    private static readonly Dictionary<string, Channel> ByName = All.ToDictionary(c => c.Name, StringComparer.Ordinal);

    /// <summary>The channels every device of the kind must send.</summary>
    public static IEnumerable<Channel> Required(SiteKind kind) => All.Where(c => c.Kind == kind && !c.Optional);

    /// <summary>The channel with this name, or null for a project-defined one.</summary>
    public static Channel? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>The channel a JSON property names, compared as UTF-8 so the ingest allocates no name string.</summary>
    public static Channel? Find(System.Text.Json.JsonProperty property)
    {
        for (var i = 0; i < All.Count; i++)
            if (property.NameEquals(Utf8Names[i])) return All[i];
        return null;
    }
}
