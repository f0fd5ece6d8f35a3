using Iot.Fleet.Registry;
using Iot.Fleet.Rules;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Leads;

/// <summary>When a site is expected to send data: construction sites always; restaurants during
/// their business hours (always, when none are recorded).</summary>
public sealed class ActiveHours
{
    private readonly OpeningHours _hours;

    public ActiveHours(Site site) => _hours = site.Kind == SiteKind.Fume ? site.OpeningHours() : OpeningHours.Always;

    /// <summary>True when the minute (UTC minutes since the epoch) is within active hours.</summary>
    public bool IsActive(long minute) => _hours.IsOpen(minute);

    /// <summary>The first of the last <paramref name="minutes"/> active minutes before <paramref name="now"/>,
    /// or null when there were not that many in the past week (a site closed all week is not offline).</summary>
    public long? StartOfLastActive(long now, int minutes)
    {
        var found = 0;
        for (var m = now - 1; m > now - 7 * 24 * 60; m--)
            if (IsActive(m) && ++found == minutes) return m;
        return null;
    }
}
