using Iot.Fleet.Rules;
using Names = Iot.Gateway.Telemetry.Channel;

namespace Iot.Fleet.Telemetry;

/// <summary>A measurement channel of wire protocol v1, with the range outside which a value is rejected.</summary>
public sealed record Channel(string Name, SiteKind Kind, string Unit, double Min, double Max, string Meaning)
{
    /// <summary>True for the measurements the enforcement rules compare with limits (watched for flatlines).</summary>
    public bool Judged { get; init; }

    /// <summary>True when the spec lets a device of the kind leave the channel out.</summary>
    public bool Optional { get; init; }
}

/// <summary>The channels of ../shared/spec/wire-protocol.md as the fleet judges them. The names come
/// from the firmware core (their one spelling); the ranges are physical plausibility, wide on purpose:
/// a value outside them is a broken device or a forged packet, not a breach.</summary>
public static class Channels
{
    public static readonly IReadOnlyList<Channel> All =
    [
        new(Names.Name(Names.Laeq), SiteKind.Noise, "dB(A)", 0, 200, "A-weighted equivalent continuous level") { Judged = true },
        new(Names.Name(Names.Lafmax), SiteKind.Noise, "dB(A)", 0, 200, "highest A-weighted fast level") { Judged = true },
        new(Names.Name(Names.L10), SiteKind.Noise, "dB(A)", 0, 200, "level exceeded 10 % of the time") { Judged = true, Optional = true },
        new(Names.Name(Names.L90), SiteKind.Noise, "dB(A)", 0, 200, "level exceeded 90 % of the time") { Judged = true, Optional = true },
        new(Names.Name(Names.Pm10), SiteKind.Dust, "µg/m³", 0, 100_000, "mean PM10 mass concentration") { Judged = true },
        new(Names.Name(Names.Pm25), SiteKind.Dust, "µg/m³", 0, 100_000, "mean PM2.5 mass concentration") { Judged = true },
        new(Names.Name(Names.Tsp), SiteKind.Dust, "µg/m³", 0, 100_000, "mean total suspended particulate") { Judged = true, Optional = true },
        new(Names.Name(Names.Wind), SiteKind.Dust, "m/s", 0, 100, "mean wind speed") { Optional = true },
        new(Names.Name(Names.Wdir), SiteKind.Dust, "°", 0, 360, "mean wind direction") { Optional = true },
        new(Names.Name(Names.Rh), SiteKind.Dust, "%", 0, 100, "mean relative humidity") { Judged = true, Optional = true },
        new(Names.Name(Names.Temp), SiteKind.Dust, "°C", -60, 90, "mean air temperature") { Optional = true },
        new(Names.Name(Names.Fume), SiteKind.Fume, "mg/m³", 0, 1_000, "mean cooking-fume concentration at the purifier outlet") { Judged = true },
        new(Names.Name(Names.Fan), SiteKind.Fume, "share", 0, 1, "share of the window the exhaust fan ran"),
        new(Names.Name(Names.Pur), SiteKind.Fume, "share", 0, 1, "share of the window the purifier ran"),
        new(Names.Name(Names.FanA), SiteKind.Fume, "A", 0, 1_000, "mean fan supply current") { Optional = true },
        new(Names.Name(Names.PurA), SiteKind.Fume, "A", 0, 1_000, "mean purifier supply current") { Optional = true },
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
