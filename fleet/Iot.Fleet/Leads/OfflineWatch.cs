using Iot.Fleet.Health;
using Iot.Fleet.Registry;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Leads;

/// <summary>Options of the integrity watch (section "Monitor").</summary>
public sealed class MonitorOptions
{
    /// <summary>How often sites are checked for silence.</summary>
    public int OfflineCheckSeconds { get; set; } = 60;
}

/// <summary>
/// `monitor.offline`: a site with no record whose `t` falls in its last 30 active minutes. The alert
/// grows while the silence lasts, and closes itself as `recovered` once backfilled records cover
/// the gap. Runs on a timer because silence raises no message to react to.
/// At a restaurant the same silence in business hours is also a lead for inspectors, `fume.suspected_evasion`: unplugging
/// the gateway is how a kitchen would hide a purifier left off. It follows the alert (grows with it) and is withdrawn when
/// backfilled records fill the gap, since the gateway then only lost its network and its records say what happened.
/// </summary>
public sealed class OfflineWatch(SiteRegistry registry, RecordJournal journal, LeadStore leads, TimeProvider clock,
    IOptions<MonitorOptions> options, ILogger<OfflineWatch> logger) : BackgroundService
{
    public const string RuleId = "monitor.offline";

    /// <summary>The inspectors' lead of a restaurant whose gateway fell silent (or was tampered with: RuleEngine) in business hours.</summary>
    public const string EvasionRuleId = SuspectedEvasion.RuleId;

    protected override Task ExecuteAsync(CancellationToken stop) =>
        PeriodicCheck.Run(TimeSpan.FromSeconds(options.Value.OfflineCheckSeconds), clock, Check, logger, "offline check", stop);

    /// <summary>Checks every site once. Two statements read the whole city (every device's latest minute, the sites with an
    /// open alert); only a site that looks silent or has an alert is then read and written on its own, freshly, so a record
    /// or an inspector's change arriving during the sweep is not overwritten.</summary>
    public void Check()
    {
        var now = clock.GetUtcNow().ToUnixTimeSeconds() / 60;
        var latestOf = journal.LatestMinutes();
        var alerted = leads.Find(LeadQueue.Integrity, new LeadQuery(Rule: RuleId, Status: LeadStatus.New), limit: int.MaxValue)
            .Select(l => l.Site).ToHashSet(StringComparer.Ordinal);
        foreach (var site in registry.Sites())
        {
            var devices = registry.DevicesOf(site.Id);
            if (devices.Count == 0) continue;
            var hours = new ActiveHours(site);
            var windowStart = hours.StartOfLastActive(now, RuleLimits.OfflineAfterMinutes);
            var latest = devices.Select(d => latestOf.TryGetValue(d, out var m) ? m : (long?)null).Max();
            var silent = windowStart is { } w && (latest is null || latest + 1 <= w);
            if (!silent && !alerted.Contains(site.Id)) continue;
            CheckSite(site, devices, hours, windowStart, now);
        }
    }

    private void CheckSite(Site site, IReadOnlyList<string> devices, ActiveHours hours, long? windowStart, long now)
    {
        var open = leads.Find(LeadQueue.Integrity, new LeadQuery(Rule: RuleId, Site: site.Id, Status: LeadStatus.New), limit: 1).FirstOrDefault();
        // Silence starts after the last record, or when the site's first device was registered.
        var latest = journal.LatestMinute(devices);
        var gapStart = latest is { } l ? l + 1 : registry.RegisteredMinute(site.Id);
        if (windowStart is { } start && gapStart <= start)
        {
            if (open is not null && open.EndMinute >= gapStart - 1)
            {
                open.EndMinute = now;
                open.Value = now - open.StartMinute;
                open.UpdatedAt = clock.GetUtcNow();
                leads.Save([open]);
                Suspect(site, devices, open.StartMinute, now, open.Detail);
            }
            else
            {
                var alert = new Lead
                {
                    Queue = LeadQueue.Integrity, Rule = RuleId, Site = site.Id, StartMinute = gapStart, EndMinute = now,
                    WindowMinutes = RuleLimits.OfflineAfterMinutes, Value = now - gapStart, Limit = RuleLimits.OfflineAfterMinutes,
                    Unit = "min", RaisedAt = clock.GetUtcNow(), UpdatedAt = clock.GetUtcNow(), Profile = site.Profile,
                    Detail = latest is { } last ? $"no record since {DateTimeOffset.FromUnixTimeSeconds(last * 60):u}" : "no record yet",
                };
                foreach (var d in devices) alert.Devices.Add(d);
                leads.Save([alert]);
                Suspect(site, devices, gapStart, now, alert.Detail);
            }
        }
        else if (open is not null && GapFilled(devices, hours, open))
        {
            open.Status = LeadStatus.Recovered;
            open.UpdatedAt = clock.GetUtcNow();
            leads.Save([open]);
            if (OpenEvasion(site.Id) is { } suspected)
            {
                suspected.Status = LeadStatus.Withdrawn;
                suspected.UpdatedAt = clock.GetUtcNow();
                leads.Save([suspected]);
            }
        }
    }

    /// <summary>Raises or grows the suspected-evasion lead of a restaurant whose gateway is silent in business hours (for a
    /// site commissioned by then; before, it is shown, never an enforcement lead, like any breach of an uncommissioned site).</summary>
    private void Suspect(Site site, IReadOnlyList<string> devices, long from, long now, string? detail)
    {
        if (!site.AllKinds.Contains(Telemetry.SiteKind.Fume)) return;
        var context = registry.SiteOf(devices[0]);
        var commissioned = devices.Any(d => context?.CommissionedAt(d, from) == true);
        if (OpenEvasion(site.Id) is { } suspected && suspected.EndMinute >= from - 1)
        {
            suspected.EndMinute = now;
            suspected.Value = now - suspected.StartMinute;
            suspected.UpdatedAt = clock.GetUtcNow();
            leads.Save([suspected]);
            return;
        }
        var lead = new Lead
        {
            Queue = LeadQueue.Enforcement, Rule = EvasionRuleId, Site = site.Id, StartMinute = from, EndMinute = now,
            WindowMinutes = RuleLimits.OfflineAfterMinutes, Value = now - from, Limit = RuleLimits.OfflineAfterMinutes, Unit = "min",
            Status = commissioned ? LeadStatus.New : LeadStatus.NotCommissioned, RaisedAt = clock.GetUtcNow(), UpdatedAt = clock.GetUtcNow(),
            Profile = site.Profile, Detail = $"{SuspectedEvasion.SilenceDetail}; {detail}",
        };
        foreach (var d in devices) lead.Devices.Add(d);
        leads.Save([lead]);
    }

    /// <summary>The site's suspected-evasion lead of silence still growing (new, or shown for an uncommissioned site), or null.
    /// A tamper event's lead (RuleEngine) is not this watch's: backfill never withdraws it.</summary>
    private Lead? OpenEvasion(string site) =>
        new[] { LeadStatus.New, LeadStatus.NotCommissioned }
            .Select(status => leads.Find(LeadQueue.Enforcement, new LeadQuery(Rule: EvasionRuleId, Site: site, Status: status), limit: 50)
                .FirstOrDefault(l => !SuspectedEvasion.IsTamper(l)))
            .OfType<Lead>().MaxBy(l => l.StartMinute);

    /// <summary>True when records now cover every active minute of the alert's gap.</summary>
    private bool GapFilled(IReadOnlyList<string> devices, ActiveHours hours, Lead alert)
    {
        var covered = journal.MinutesCovered(devices, alert.StartMinute, alert.EndMinute);
        for (var m = alert.StartMinute; m < alert.EndMinute; m++)
            if (hours.IsActive(m) && !covered.Contains(m)) return false;
        return true;
    }
}
