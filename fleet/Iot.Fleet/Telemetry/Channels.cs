using Iot.Fleet.Rules;

namespace Iot.Fleet.Telemetry;

/// <summary>A measurement channel of wire protocol v1, with the range outside which a value is rejected.</summary>
public sealed record Channel(string Name, SiteKind Kind, string Unit, double Min, double Max, string Meaning);

/// <summary>The channels of ../shared/spec/wire-protocol.md. Ranges are physical plausibility,
/// wide on purpose: a value outside them is a broken device or a forged packet, not a breach.</summary>
public static class Channels
{
    public static readonly IReadOnlyList<Channel> All =
    [
        new("laeq", SiteKind.Noise, "dB(A)", 0, 200, "A-weighted equivalent continuous level"),
        new("lafmax", SiteKind.Noise, "dB(A)", 0, 200, "highest A-weighted fast level"),
        new("l10", SiteKind.Noise, "dB(A)", 0, 200, "level exceeded 10 % of the time"),
        new("l90", SiteKind.Noise, "dB(A)", 0, 200, "level exceeded 90 % of the time"),
        new("pm10", SiteKind.Dust, "µg/m³", 0, 100_000, "mean PM10 mass concentration"),
        new("pm25", SiteKind.Dust, "µg/m³", 0, 100_000, "mean PM2.5 mass concentration"),
        new("tsp", SiteKind.Dust, "µg/m³", 0, 100_000, "mean total suspended particulate"),
        new("wind", SiteKind.Dust, "m/s", 0, 100, "mean wind speed"),
        new("wdir", SiteKind.Dust, "°", 0, 360, "mean wind direction"),
        new("rh", SiteKind.Dust, "%", 0, 100, "mean relative humidity"),
        new("temp", SiteKind.Dust, "°C", -60, 90, "mean air temperature"),
        new("fume", SiteKind.Fume, "mg/m³", 0, 1_000, "mean cooking-fume concentration at the purifier outlet"),
        new("fan", SiteKind.Fume, "share", 0, 1, "share of the window the exhaust fan ran"),
        new("pur", SiteKind.Fume, "share", 0, 1, "share of the window the purifier ran"),
        new("fan_a", SiteKind.Fume, "A", 0, 1_000, "mean fan supply current"),
        new("pur_a", SiteKind.Fume, "A", 0, 1_000, "mean purifier supply current"),
    ];

    private static readonly Dictionary<string, Channel> ByName = All.ToDictionary(c => c.Name, StringComparer.Ordinal);

    /// <summary>The channel with this name, or null for a project-defined one.</summary>
    public static Channel? Find(string name) => ByName.GetValueOrDefault(name);
}
