using System.Globalization;
using Iot.Fleet.Glossary;

namespace Iot.Fleet.Api;

/// <summary>A month as the bureau counts it (`?month=YYYY-MM`): from its first midnight to the next month's, in the
/// bureau's zone. The report and the registers that filter by month read it here.</summary>
public static class BureauMonth
{
    /// <summary>The first day of <paramref name="month"/> and its span in the bureau's zone; refuses another shape (400).</summary>
    public static (DateTime First, DateTimeOffset From, DateTimeOffset To) Span(string month)
    {
        if (!DateTime.TryParseExact(month, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var first) || first.Year < 2000)
            throw new RefusalException($"month must look like 2026-05, not '{month}'");
        var zone = LocalTime.Zone(null);
        var next = first.AddMonths(1);
        return (first, new DateTimeOffset(first, zone.GetUtcOffset(first)), new DateTimeOffset(next, zone.GetUtcOffset(next)));
    }
}
