using System.Text.Json.Serialization;

namespace Iot.Fleet.Rules;

/// <summary>A site's measured background noise (背景噪声): dB(A), when and by whom. It corrects the noise windows that
/// start at or after <see cref="MeasuredAt"/>; a later measurement takes over from its own time (never retroactive, like
/// profile versions: a window already judged keeps its verdict).</summary>
/// <remarks>Names pinned in snake_case: also the audit log's snapshot of it, hashed into the chain. The API renames them to camelCase (Api/ApiJson).</remarks>
public sealed record BackgroundLevel(long Id, string Site, double Level,
    [property: JsonPropertyName("measured_at")] DateTimeOffset MeasuredAt,
    [property: JsonPropertyName("measured_by")] string MeasuredBy, string? Note);

/// <summary>
/// GB 12523-2011 background correction (背景噪声修正): the measured level minus the background, rounded to a whole dB,
/// decides how much the measurement is lowered before it is compared with the limit. ≥ 10 dB: no correction;
/// 3 dB: −3; 4–5 dB: −2; 6–9 dB: −1. Under 3 dB the source cannot be told from the background: the measurement is
/// not valid as evidence, and the window is not judged (neither breach nor clearance, like a window without coverage).
/// </summary>
public static class BackgroundCorrection
{
    /// <summary>The smallest difference (dB, rounded) at which a measurement is valid.</summary>
    public const int SmallestValidDifference = 3;

    /// <summary>The correction (0 or negative, dB) for a measured − background difference, or null when it is under
    /// 3 dB after rounding (not valid as evidence).</summary>
    public static int? CorrectionFor(double difference) =>
        Math.Round(difference, MidpointRounding.AwayFromZero) switch
        {
            < SmallestValidDifference => null,
            3 => -3,
            4 or 5 => -2,
            < 10 => -1,
            _ => 0,
        };

    /// <summary>The level the rule decides on: <paramref name="measured"/> corrected for <paramref name="background"/>
    /// (unchanged without one), or null when the measurement is too close to the background to be evidence.</summary>
    public static double? Corrected(double measured, double? background) =>
        background is not { } b ? measured : CorrectionFor(measured - b) is { } correction ? measured + correction : null;
}
