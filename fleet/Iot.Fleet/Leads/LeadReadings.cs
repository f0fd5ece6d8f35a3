using System.Text.Json.Serialization;
using Iot.Fleet.Notices;
using Iot.Fleet.Registry;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;

namespace Iot.Fleet.Leads;

/// <summary>One breaching window of a lead as the party and the inspector read it: its device, start and end (UTC; pages
/// show them in the site's time), the level `measured` and the `value` the rule decided on (they differ only when a
/// background correction applied), the `background` in force and the `limit`.</summary>
public sealed record LeadReading(string Device, DateTime Start, DateTime End, double Measured, double Value,
    double? Background, double Limit, string Unit);

/// <summary>The breaching windows behind a lead, judged again from its stored records by the rule that raised it (with
/// the site's background and profiles as they stand), so the API, the evidence page and the notice show the same numbers
/// the rules decided on.</summary>
public sealed class LeadReadings(RecordJournal journal, SiteRegistry registry)
{
    /// <summary>Longest stretch judged again for a page (a week of minutes); longer leads show their first week.</summary>
    private const long MaxMinutes = 7 * 24 * 60;

    public IReadOnlyList<LeadReading> Of(Lead lead)
    {
        if (Rule.All.FirstOrDefault(r => r.Id == lead.Rule) is not { } rule) return [];
        var readings = new List<LeadReading>();
        var last = Math.Min(lead.EndMinute, lead.StartMinute + MaxMinutes);
        foreach (var device in lead.Devices)
        {
            if (registry.SiteOf(device) is not { } site || site.Id != lead.Site) continue;
            var timeline = new DeviceTimeline(device);
            var from = (lead.StartMinute - 1) * 60;
            var to = (last + lead.WindowMinutes + 1) * 60;
            foreach (var record in journal.Between(device, from, to)) timeline.Add(record);
            for (var m = lead.StartMinute; m <= last; m++)
            {
                var verdict = rule.Judge(timeline, m, site);
                if (verdict.State != WindowState.Breach) continue;
                var measured = rule is LeqRule leq && leq.Measured(timeline, m, site) is { } level ? level : verdict.Value;
                var window = rule.Window(site.ProfileAt(m));
                readings.Add(new LeadReading(device, Utc(m), Utc(m + window), measured, verdict.Value,
                    rule is LeqRule ? site.BackgroundAt(m) : null, rule.Limit(site.ProfileAt(m)), rule.Unit));
            }
        }
        return [.. readings.OrderBy(r => r.Start).ThenBy(r => r.Device, StringComparer.Ordinal)];
    }

    /// <summary>The background measurement that corrected a noise lead's first window, or null (not a noise Leq lead, or
    /// none measured by then).</summary>
    public BackgroundLevel? BackgroundOf(Lead lead) =>
        Rule.All.FirstOrDefault(r => r.Id == lead.Rule) is LeqRule && lead.Devices.Select(registry.SiteOf).FirstOrDefault(s => s?.Id == lead.Site) is { } site
            ? site.BackgroundMeasurementAt(lead.StartMinute)
            : null;

    private static DateTime Utc(long minute) => DateTimeOffset.FromUnixTimeSeconds(minute * 60).UtcDateTime;
}
