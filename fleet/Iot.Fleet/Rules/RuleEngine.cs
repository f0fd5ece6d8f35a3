using QualityBits = Iot.Contract.QualityBits;
using Iot.Fleet.Leads;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Rules;

/// <summary>Where the engine finds the site of a device.</summary>
public interface ISiteDirectory
{
    /// <summary>The site the device is bound to, or null for an unbound device (its records are stored, not judged).</summary>
    SiteContext? SiteOf(string device);
}

/// <summary>Leads already raised, read back after a restart.</summary>
public interface ILeadArchive
{
    /// <summary>Leads of one rule at one site whose episode ended at or after <paramref name="sinceMinute"/>.</summary>
    IReadOnlyList<Lead> Load(string site, string rule, long sinceMinute);
}

/// <summary>
/// Judges records against the rules in event time, incrementally: each record updates its device's
/// minutes and re-judges only the windows it can change. Breaching windows of one rule at one site
/// join into episodes, one lead each. The outcome depends only on the set of records (in any
/// order), which is what makes a replay after a crash raise nothing twice.
/// </summary>
public sealed partial class RuleEngine(ISiteDirectory sites, IRecordHistory history, ILeadArchive archive, TimeProvider clock)
{
    /// <summary>Hours of minutes kept in memory behind a device's latest minute.</summary>
    public const int HoursInMemory = 3;

    /// <summary>Gaps longer than this always end an episode, without looking for clear windows.</summary>
    private const long LongestEpisodeGapMinutes = 24 * 60;

    /// <summary>How long raised leads stay in memory for extension.</summary>
    private const long LeadMemoryMinutes = 7 * 24 * 60;

    private readonly Dictionary<string, DeviceTimeline> _timelines = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Site, string Rule), List<Lead>> _leads = [];
    private readonly HashSet<Lead> _changed = [];
    private long _currentRowId;

    private DateTimeOffset Now => clock.GetUtcNow();

    /// <summary>RowId of the last record applied; every stored record up to it has been judged.</summary>
    public long AppliedUpTo { get; private set; }

    /// <summary>Starts after a restart: records up to <paramref name="rowId"/> count as judged.</summary>
    public void ResumeAfter(long rowId) => AppliedUpTo = rowId;

    /// <summary>Leads created or changed since the last call, for the caller to store.</summary>
    public IReadOnlyCollection<Lead> TakeChanges()
    {
        var changes = _changed.ToList();
        _changed.Clear();
        return changes;
    }

    /// <summary>Applies one stored record. Records must come in RowId order, each once.</summary>
    public void Apply(TelemetryRecord record)
    {
        if (record.RowId <= AppliedUpTo)
            throw new InvalidOperationException($"record {record.Device}/{record.Seq} (row {record.RowId}) arrives after row {AppliedUpTo}");
        _currentRowId = record.RowId;
        try
        {
            var site = sites.SiteOf(record.Device);
            if (site is null) return;
            var timeline = Timeline(record.Device);
            var firstMinute = record.Time / 60;
            var lastMinute = (record.Time + record.Duration - 1) / 60;
            EnsureLoaded(timeline, firstMinute - 60, lastMinute + 60);
            var previousLatest = timeline.LatestMinute;
            timeline.Add(record);

            if ((record.Quality & QualityBits.Tamper) != 0)
            {
                RaiseIntegrity(site, "monitor.tamper", record.Device, firstMinute, lastMinute, 1, 0, "", "tamper switch open");
                // A record marked opened is the same evidence as the tamper event, minute by minute.
                if (site.Kinds.Contains(SiteKind.Fume))
                    for (var m = firstMinute; m <= lastMinute; m++)
                        if (site.BusinessHours.IsOpen(m)) SuspectTamper(site, record.Device, m);
            }

            // An index loop: this runs for every record, and an iterator per record is garbage the GC must chase.
            for (var r = 0; r < Rule.All.Count; r++)
            {
                var rule = Rule.All[r];
                if (!site.Kinds.Contains(rule.Kind)) continue;
                var w = rule.Window(site.ProfileAt(firstMinute));
                var dirtyFrom = firstMinute - w + 1;
                // Windows that were waiting for later data are complete now that time has moved on.
                if (previousLatest != long.MinValue && timeline.LatestMinute > previousLatest)
                    dirtyFrom = Math.Min(dirtyFrom, Math.Max(previousLatest - w + 1, firstMinute - LongestEpisodeGapMinutes));
                foreach (var commissioned in Classes)
                {
                    MinutesOf(site, rule, commissioned).Forget(dirtyFrom, lastMinute);
                    if (!AnyDeviceOnSide(site, commissioned, dirtyFrom)) continue;
                    new Episodes(this, rule, site, commissioned, record).Reconcile(dirtyFrom, lastMinute);
                }
            }
            if (record.IsEvidence)
                foreach (var channel in record.Measurements.Keys.Where(FlatlineApplies))
                    for (var m = firstMinute; m <= lastMinute; m++) CheckFlatline(site, timeline, channel, m);
            timeline.ForgetBefore(DeviceTimeline.HourOf(timeline.LatestMinute) - HoursInMemory);
        }
        finally
        {
            AppliedUpTo = record.RowId;
        }
    }

    /// <summary>Records a `tamper` event from a device as an integrity alert; at a restaurant, in its business hours by the
    /// event's own time (never its arrival), also as a suspected-evasion lead for inspectors (as are records marked with the
    /// tamper quality bit).</summary>
    public void ApplyTamperEvent(string device, long time)
    {
        var site = sites.SiteOf(device);
        if (site is null) return;
        var minute = time / 60;
        RaiseIntegrity(site, "monitor.tamper", device, minute, minute, 1, 0, "", "tamper event");
        if (site.Kinds.Contains(SiteKind.Fume) && site.BusinessHours.IsOpen(minute)) SuspectTamper(site, device, minute);
    }

    /// <summary>Raises the suspected-evasion lead of a tamper event, or finds the one it already belongs to: the same device's
    /// tamper lead reaching within 10 minutes of it. A re-delivered or replayed event falls inside its lead and changes
    /// nothing; events close together are one lead.</summary>
    private void SuspectTamper(SiteContext site, string device, long minute)
    {
        var leads = LeadsOf(site.Id, SuspectedEvasion.RuleId);
        var open = leads.LastOrDefault(l => SuspectedEvasion.IsTamper(l) && l.Devices.Contains(device)
            && l.StartMinute <= minute + RuleLimits.EpisodeEndsAfterMinutes && l.EndMinute >= minute - RuleLimits.EpisodeEndsAfterMinutes);
        var now = clock.GetUtcNow();
        if (open is not null)
        {
            if (minute < open.StartMinute || minute > open.EndMinute)
            {
                open.StartMinute = Math.Min(open.StartMinute, minute);
                open.EndMinute = Math.Max(open.EndMinute, minute);
                open.UpdatedAt = now;
                _changed.Add(open);
            }
            return;
        }
        var profile = site.ProfileAt(minute);
        var local = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeSeconds(minute * 60), site.TimeZone);
        var lead = new Lead
        {
            Queue = LeadQueue.Enforcement, Rule = SuspectedEvasion.RuleId, Site = site.Id, StartMinute = minute, EndMinute = minute, WindowMinutes = 1,
            Value = 1, Limit = 0, Unit = "",
            Late = now - DateTimeOffset.FromUnixTimeSeconds((minute + 1) * 60) > RuleLimits.LateAfter,
            RaisedAt = now, UpdatedAt = now, Profile = profile.Id, ProfileVersion = profile.Version,
            // Art. 41: only data from a reviewed installation may be used; before, it is shown, never pursued.
            Status = site.CommissionedAt(device, minute) ? LeadStatus.New : LeadStatus.NotCommissioned,
            Detail = $"{SuspectedEvasion.TamperDetail}: {device} reported its enclosure opened at {local:yyyy-MM-dd HH:mm} local time ({local:zzz})",
        };
        lead.Devices.Add(device);
        leads.Add(lead);
        leads.Sort((a, b) => a.StartMinute.CompareTo(b.StartMinute));
        _changed.Add(lead);
    }

    /// <summary>Records a (dev, seq) that arrived again with other content as an integrity alert: the device's
    /// numbering restarted (flash replaced) or someone forges records; engineers decide which version is true.</summary>
    public void ApplyConflict(string device, long time)
    {
        var site = sites.SiteOf(device);
        if (site is null) return;
        RaiseIntegrity(site, "monitor.conflict", device, time / 60, time / 60, 1, 0, "", "a record number arrived again with other content");
    }

    /// <summary>A telemetry message on the device's topic failed its device proof (wrong key, altered, another device's):
    /// it was rejected; the site gets a `monitor.unauthenticated` integrity alert.</summary>
    public void ApplyProofFailure(string device, long time)
    {
        var site = sites.SiteOf(device);
        if (site is null) return;
        RaiseIntegrity(site, "monitor.unauthenticated", device, time / 60, time / 60, 1, 0, "",
            "a telemetry message failed its device proof (wrong key, altered, or not from this device) and was rejected");
    }

    /// <summary>A window is complete when all its minutes are covered or the device has sent later data.</summary>
    private static bool IsComplete(DeviceTimeline timeline, long start, int minutes)
    {
        if (timeline.LatestMinute >= start + minutes) return true;
        // Nothing covers minutes after the latest one: the live path ends here for all but one window.
        if (start + minutes - 1 > timeline.LatestMinute) return false;
        for (var m = start; m < start + minutes; m++)
            if (!timeline.IsCovered(m)) return false;
        return true;
    }

    private static WindowVerdict JudgeComplete(Rule rule, SiteContext site, DeviceTimeline timeline, long start) =>
        IsComplete(timeline, start, rule.Window(site.ProfileAt(start))) ? rule.Judge(timeline, start, site) : WindowVerdict.NotJudged;

    /// <summary>True when a device of the site can be on this side of commissioning where a record's reach begins:
    /// only then can the records change that side's episodes (a site commissioned long ago has no unchecked side).</summary>
    private static bool AnyDeviceOnSide(SiteContext site, bool commissioned, long from)
    {
        for (var i = 0; i < site.Devices.Count; i++)
            if (commissioned ? site.CommissionedFrom.ContainsKey(site.Devices[i]) : !site.CommissionedAt(site.Devices[i], from)) return true;
        return false;
    }

    /// <summary>Devices on each side of commissioning form their own episodes (an unchecked gateway can neither raise,
    /// extend, end nor hide an enforcement lead).</summary>
    private static readonly bool[] Classes = [true, false];

    /// <summary>Raises a flatline alert when the valid minute is part of a run of one exact value
    /// lasting the flatline time.</summary>
    private void CheckFlatline(SiteContext site, DeviceTimeline timeline, string channel, long minute)
    {
        if (!timeline.TryGetValid(minute, channel, out var value)) return;
        long first = minute, last = minute;
        while (minute - first < RuleLimits.FlatlineMinutes && timeline.TryGetValid(first - 1, channel, out var v) && v.Equals(value)) first--;
        while (last - first + 1 < RuleLimits.FlatlineMinutes && timeline.TryGetValid(last + 1, channel, out var v) && v.Equals(value)) last++;
        if (last - first + 1 < RuleLimits.FlatlineMinutes) return;
        RaiseIntegrity(site, "monitor.flatline", timeline.Device, first, last, RuleLimits.FlatlineMinutes, value, "",
            $"{channel} reported {value} for {RuleLimits.FlatlineMinutes} valid minutes");
    }

    /// <summary>Flatline watches the channels that decide leads, where a stuck sensor could hide or fake
    /// a breach. The others stay unchanged for an hour in normal life: running shares (0 all night in a
    /// closed kitchen), steady supply currents, calm wind, and temperature at 1 °C resolution.</summary>
    private static bool FlatlineApplies(string channel) => Channels.Find(channel)?.Judged == true;

    /// <summary>Opens an integrity alert or extends the one still open for the same rule and device.</summary>
    private void RaiseIntegrity(SiteContext site, string ruleId, string device, long start, long end, int windowMinutes, double value, string unit, string detail)
    {
        var alerts = LeadsOf(site.Id, ruleId);
        var now = clock.GetUtcNow();
        var open = alerts.LastOrDefault(a => a.Devices.Contains(device) && a.StartMinute <= end + 1 && a.EndMinute >= start - RuleLimits.EpisodeEndsAfterMinutes);
        if (open is not null)
        {
            if (start < open.StartMinute || end > open.EndMinute)
            {
                open.StartMinute = Math.Min(open.StartMinute, start);
                open.EndMinute = Math.Max(open.EndMinute, end);
                open.UpdatedAt = now;
                _changed.Add(open);
            }
            return;
        }
        var alert = new Lead
        {
            Queue = LeadQueue.Integrity,
            Rule = ruleId,
            Site = site.Id,
            StartMinute = start,
            EndMinute = end,
            WindowMinutes = windowMinutes,
            Value = value,
            Limit = windowMinutes,
            Unit = unit,
            RaisedAt = now,
            UpdatedAt = now,
            Profile = site.Profile.Id,
            Detail = detail,
        };
        alert.Devices.Add(device);
        alerts.Add(alert);
        alerts.Sort((a, b) => a.StartMinute.CompareTo(b.StartMinute));
        _changed.Add(alert);
    }

    /// <summary>An enforcement lead from commissioned devices (any pipeline status but `not_commissioned`).</summary>
    private static bool IsCommissioned(Lead lead) => lead.Status != LeadStatus.NotCommissioned;

    private List<Lead> LeadsOf(string site, string rule)
    {
        if (!_leads.TryGetValue((site, rule), out var leads))
        {
            var since = clock.GetUtcNow().ToUnixTimeSeconds() / 60 - LeadMemoryMinutes;
            leads = archive.Load(site, rule, since).OrderBy(l => l.StartMinute).ToList();
            _leads[(site, rule)] = leads;
        }
        return leads;
    }

    private DeviceTimeline Timeline(string device)
    {
        if (!_timelines.TryGetValue(device, out var timeline))
        {
            timeline = new DeviceTimeline(device);
            if (history.LatestMinute(device, _currentRowId) is { } latest) timeline.RestoreLatest(latest);
            _timelines[device] = timeline;
        }
        return timeline;
    }

    /// <summary>Loads the hours covering the minutes from the journal, as of before the current record.</summary>
    private void EnsureLoaded(DeviceTimeline timeline, long fromMinute, long toMinute)
    {
        for (var hour = DeviceTimeline.HourOf(fromMinute); hour <= DeviceTimeline.HourOf(toMinute); hour++)
        {
            if (timeline.HasHour(hour)) continue;
            timeline.MarkLoaded(hour);
            // Records may start up to an hour (the longest `dur`) before the hour they reach into.
            foreach (var record in history.Load(timeline.Device, hour * 3600 - 3600, hour * 3600 + 3600, _currentRowId))
                timeline.Add(record, hour);
        }
    }
}
