using Iot.Fleet.Leads;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Rules;

public sealed partial class RuleEngine
{
    /// <summary>What a minute is for one rule at one site (rules v2): a breach when a device's window starting there
    /// breaches; clear when a window is judged and does not breach, or the rule rests there (a night rule by day, a fume
    /// rule with the fan off) on a valid record; neutral otherwise (no coverage), which neither extends nor ends an episode.</summary>
    private enum MinuteState : byte
    {
        Neutral,
        Clear,
        Breach,
    }

    /// <summary>One episode as the records show it now: its first and last breaching window, who breached, the worst value.</summary>
    private sealed record Episode(long Start, long End, SortedSet<string> Devices, double Worst);

    /// <summary>
    /// Recomputes the episodes of one rule at one site (one side of commissioning) around the minutes a record changed,
    /// and reconciles the leads already raised with them, so that the leads are a function of the records alone,
    /// whatever order they came in: an episode over no lead raises one; an episode over several leads keeps the earliest
    /// and closes the others as `merged` into it; a lead over several episodes keeps the first and each later episode
    /// becomes a lead of its own (the cut); a lead over no episode any more is `withdrawn`. Every such change goes into
    /// the leads' history, naming the record that caused it. The region grows until it is bounded on both sides by
    /// 10 clear minutes (or the 24-hour gap), so nothing outside it can change.
    /// </summary>
    private sealed class Episodes(RuleEngine engine, Rule rule, SiteContext site, bool commissioned, TelemetryRecord cause)
    {
        // What each minute is, kept by the engine across records for this site, rule and side: a record forgets the
        // minutes it can change (RuleEngine.Apply), so a long episode is not judged again minute by minute.
        private Dictionary<long, (MinuteState State, double Value, string[]? Breaching)>? _minutes;

        public void Reconcile(long from, long to)
        {
            var leads = engine.LeadsOf(site.Id, rule.Id);
            // The live path: minutes without a breach that no lead covers can neither raise, join, cut nor withdraw one.
            // Loops, not LINQ: this runs for every record and rule.
            if (!AnyBreach(from, to) && !AnyOpenLeadOver(leads, from, to)) return;
            // The engine's lists, reused: the full path runs for every record near a breach.
            var open = engine._open;
            open.Clear();
            foreach (var l in leads)
                if (IsOpen(l) && IsCommissioned(l) == commissioned) open.Add(l);
            open.Sort(ByStart);
            long start = from, end = to;
            var overlapping = engine._overlapping;
            for (var pass = 0; pass < 8; pass++)
            {
                start = ExtendLeft(start, open, from);
                end = ExtendRight(end, open, to);
                overlapping.Clear();
                long wideStart = start, wideEnd = end;
                foreach (var l in open)
                {
                    if (l.StartMinute > end || l.EndMinute < start) continue;
                    overlapping.Add(l);
                    wideStart = Math.Min(wideStart, l.StartMinute);
                    wideEnd = Math.Max(wideEnd, l.EndMinute);
                }
                if (wideStart == start && wideEnd == end) break;
                (start, end) = (wideStart, wideEnd);
            }
            // A lead wholly before the records' reach is its episode as reconciled before (nothing in it changed):
            // the search starts after the latest such lead instead of walking its minutes again, which keeps a long
            // live episode cheap; leads before that one cannot be touched by this record.
            Lead? anchor = null;
            foreach (var l in overlapping)
                if (l.EndMinute < from && (anchor is null || l.EndMinute > anchor.EndMinute)) anchor = l;
            if (anchor is not null) overlapping.RemoveAll(l => l.EndMinute < anchor.StartMinute);
            var episodes = Find(start, end, anchor);
            if (episodes.Count == 0 && overlapping.Count == 0) return;
            // The common case near a live breach: one episode over one lead, which only moves.
            if (episodes.Count == 1 && overlapping.Count == 1 && overlapping[0].StartMinute <= episodes[0].End && overlapping[0].EndMinute >= episodes[0].Start)
            {
                Fit(overlapping[0], episodes[0], engine.Now);
                return;
            }
            overlapping.Sort(ByStartThenId);
            Match(episodes, [.. overlapping], leads);
        }

        private static readonly Comparison<Lead> ByStart = (a, b) => a.StartMinute.CompareTo(b.StartMinute);

        private static readonly Comparison<Lead> ByStartThenId = (a, b) =>
            a.StartMinute != b.StartMinute ? a.StartMinute.CompareTo(b.StartMinute) : (a.Id == 0 ? long.MaxValue : a.Id).CompareTo(b.Id == 0 ? long.MaxValue : b.Id);

        private void Match(List<Episode> episodes, List<Lead> overlapping, List<Lead> leads)
        {
            var now = engine.Now;
            var kept = new HashSet<Lead>();
            // Overlaps count against what the leads said before this reconciliation moved them.
            var before = overlapping.ToDictionary(l => l, l => (Start: l.StartMinute, End: l.EndMinute));
            foreach (var episode in episodes)
            {
                var over = overlapping.Where(l => before[l].Start <= episode.End && before[l].End >= episode.Start).ToList();
                var free = over.Where(l => !kept.Contains(l)).ToList();
                Lead lead;
                if (free.Count == 0)
                {
                    lead = engine.NewLead(rule, site, commissioned, episode, now);
                    leads.Add(lead);
                    leads.Sort((a, b) => a.StartMinute.CompareTo(b.StartMinute));
                    if (over.Count > 0)
                    {
                        var earlier = over[0];
                        lead.Note(now, LeadChanges.Cut, $"split from lead {{0}}: {RuleLimits.EpisodeEndsAfterMinutes} clear minutes now end that episode first ({Cause})", earlier);
                        earlier.Note(now, LeadChanges.Cut, $"ends earlier: the breach from {Local(episode.Start)} is lead {{0}} ({Cause})", lead);
                        engine._changed.Add(earlier);
                    }
                }
                else
                {
                    lead = free[0];
                    foreach (var other in free.Skip(1))
                    {
                        other.Status = LeadStatus.Merged;
                        other.MergedIntoLead = lead;
                        other.UpdatedAt = now;
                        other.Note(now, LeadChanges.Merged, $"merged into lead {{0}}: late records join the two episodes ({Cause})", lead);
                        lead.Note(now, LeadChanges.Absorbed, $"lead {{0}} merged into this one ({Cause})", other);
                        engine._changed.Add(other);
                        engine._changed.Add(lead);
                    }
                }
                kept.Add(lead);
                Fit(lead, episode, now);
            }
            foreach (var gone in overlapping.Where(l => !kept.Contains(l) && IsOpen(l)))
            {
                gone.Status = LeadStatus.Withdrawn;
                gone.UpdatedAt = now;
                gone.Note(now, LeadChanges.Withdrawn, $"late records show no breaching window here any more ({Cause})", null);
                engine._changed.Add(gone);
            }
        }

        /// <summary>Makes the lead say what the episode says; records a change only when something changed.</summary>
        private void Fit(Lead lead, Episode episode, DateTimeOffset now)
        {
            long? permit = rule.AtNight ? site.PermitAt(episode.Start, (int)(episode.End - episode.Start) + rule.Window(site.ProfileAt(episode.End))) : null;
            var changed = lead.StartMinute != episode.Start || lead.EndMinute != episode.End || !lead.Devices.SetEquals(episode.Devices)
                || !lead.Value.Equals(episode.Worst) || lead.Permit != permit || lead.Id == 0;
            if (!changed) return;
            lead.StartMinute = episode.Start;
            lead.EndMinute = episode.End;
            if (!ReferenceEquals(lead.Devices, episode.Devices))
            {
                lead.Devices.Clear();
                lead.Devices.UnionWith(episode.Devices);
            }
            lead.Value = episode.Worst;
            lead.Permit = permit;
            lead.UpdatedAt = now;
            engine._changed.Add(lead);
        }

        private string Cause => $"record {cause.Device} #{cause.Seq} at {Local(cause.Time / 60)}";

        // History is read by people: the site's local time with its offset.
        private string Local(long minute) => Glossary.LocalTime.Format(DateTimeOffset.FromUnixTimeSeconds(minute * 60), site.TimeZone);

        private bool AnyBreach(long from, long to)
        {
            for (var m = from; m <= to; m++)
                if (State(m).State == MinuteState.Breach) return true;
            return false;
        }

        /// <summary>The episodes among the minutes [start, end], continuing <paramref name="anchor"/>'s when given.</summary>
        private List<Episode> Find(long start, long end, Lead? anchor)
        {
            var episodes = engine._episodes;
            episodes.Clear();
            long first = 0, last = 0;
            var clear = 0;
            SortedSet<string>? devices = null;
            // The anchor's own set until a device it lacks breaches: copied only then, not for every record of a live episode.
            var shared = false;
            double worst = 0;
            if (anchor is not null)
            {
                (first, last, worst) = (anchor.StartMinute, anchor.EndMinute, anchor.Value);
                devices = anchor.Devices;
                shared = true;
                start = anchor.EndMinute + 1;
            }
            for (var m = start; m <= end; m++)
            {
                var (state, value, breaching) = State(m);
                if (state == MinuteState.Clear) clear++;
                if (state != MinuteState.Breach) continue;
                if (devices is not null && (clear >= RuleLimits.EpisodeEndsAfterMinutes || m - last > LongestEpisodeGapMinutes))
                {
                    episodes.Add(new Episode(first, last, devices, worst));
                    devices = null;
                }
                if (devices is null)
                {
                    devices = new SortedSet<string>(StringComparer.Ordinal);
                    shared = false;
                    first = m;
                    worst = value;
                }
                else if (rule.IsWorse(value, worst)) worst = value;
                foreach (var device in breaching!)
                {
                    if (devices.Contains(device)) continue;
                    if (shared)
                    {
                        devices = new SortedSet<string>(devices, StringComparer.Ordinal);
                        shared = false;
                    }
                    devices.Add(device);
                }
                last = m;
                clear = 0;
            }
            if (devices is not null) episodes.Add(new Episode(first, last, devices, worst));
            return episodes;
        }

        /// <summary>The earliest breaching minute joined to <paramref name="start"/> through fewer than 10 clear minutes.
        /// Every breaching minute outside the records' new reach is already in an open lead, so the search goes from lead to
        /// lead and stops at once when none lies within the 24-hour gap.</summary>
        private long ExtendLeft(long start, List<Lead> open, long dirtyFrom)
        {
            var lowest = start;
            while (true)
            {
                var previous = open.LastOrDefault(l => l.EndMinute < lowest);
                if (previous is null || lowest - previous.EndMinute > LongestEpisodeGapMinutes) return lowest;
                var clear = 0;
                for (var m = lowest - 1; m > previous.EndMinute; m--)
                {
                    var state = State(m).State;
                    if (state == MinuteState.Breach)
                    {
                        lowest = m;
                        clear = 0;
                    }
                    else if (state == MinuteState.Clear && ++clear >= RuleLimits.EpisodeEndsAfterMinutes) return lowest;
                }
                lowest = Math.Min(lowest, previous.StartMinute);
                // A lead wholly before the records' reach was separated from the ones before it already, over minutes
                // that did not change: the search ends there.
                if (previous.EndMinute < dirtyFrom) return lowest;
            }
        }

        /// <summary>The latest breaching minute joined to <paramref name="end"/> through fewer than 10 clear minutes.</summary>
        private long ExtendRight(long end, List<Lead> open, long dirtyTo)
        {
            var highest = end;
            while (true)
            {
                var next = open.FirstOrDefault(l => l.StartMinute > highest);
                if (next is null || next.StartMinute - highest > LongestEpisodeGapMinutes) return highest;
                var clear = 0;
                for (var m = highest + 1; m < next.StartMinute; m++)
                {
                    var state = State(m).State;
                    if (state == MinuteState.Breach)
                    {
                        highest = m;
                        clear = 0;
                    }
                    else if (state == MinuteState.Clear && ++clear >= RuleLimits.EpisodeEndsAfterMinutes) return highest;
                }
                highest = Math.Max(highest, next.EndMinute);
                if (next.StartMinute > dirtyTo) return highest;
            }
        }

        private (MinuteState State, double Value, string[]? Breaching) State(long minute)
        {
            _minutes ??= engine.MinutesOf(site, rule, commissioned).States;
            if (_minutes.TryGetValue(minute, out var known)) return known;
            // No garbage per minute: an index loop (an interface foreach boxes its enumerator) and, for the usual one
            // breaching device, the engine's one-element array of it.
            string? first = null;
            List<string>? more = null;
            double worst = 0;
            var clear = false;
            for (var i = 0; i < site.Devices.Count; i++)
            {
                var device = site.Devices[i];
                if (site.CommissionedAt(device, minute) != commissioned) continue;
                var timeline = engine.Timeline(device);
                if (timeline.LatestMinute < minute) continue;
                engine.EnsureLoaded(timeline, minute - 1, minute + rule.Window(site.ProfileAt(minute)));
                var verdict = JudgeComplete(rule, site, timeline, minute);
                if (verdict.State == WindowState.Breach)
                {
                    if (first is null || rule.IsWorse(verdict.Value, worst)) worst = verdict.Value;
                    if (first is null) first = device;
                    else (more ??= [first]).Add(device);
                }
                else clear |= verdict.State == WindowState.Clear || rule.RestsAt(timeline, minute, site);
            }
            var state = first is not null
                ? (MinuteState.Breach, worst, more?.ToArray() ?? engine.Alone(first))
                : (clear ? MinuteState.Clear : MinuteState.Neutral, 0, null);
            _minutes[minute] = state;
            return state;
        }

        private bool AnyOpenLeadOver(List<Lead> leads, long from, long to)
        {
            for (var i = 0; i < leads.Count; i++)
            {
                var l = leads[i];
                if (IsOpen(l) && IsCommissioned(l) == commissioned && l.StartMinute <= to && l.EndMinute >= from) return true;
            }
            return false;
        }
    }

    /// <summary>The minute states of one site, rule and side of commissioning, valid for the site's context they were
    /// computed with (a registry reload makes a new one, and so a new cache).</summary>
    private sealed class MinuteCache(SiteContext site)
    {
        /// <summary>Minutes kept behind the newest one a record reached: episodes longer than this are judged again.</summary>
        private const long KeptMinutes = 3 * 60;

        public SiteContext Site { get; } = site;
        public Dictionary<long, (MinuteState State, double Value, string[]? Breaching)> States { get; } = [];

        /// <summary>Forgets the minutes a record can change, and the oldest ones once there are many.</summary>
        public void Forget(long from, long to)
        {
            if (to - from < States.Count)
                for (var m = from; m <= to; m++) States.Remove(m);
            else
                RemoveWhere(k => k >= from && k <= to);
            if (States.Count > 4 * KeptMinutes) RemoveWhere(k => k < to - KeptMinutes);
        }

        private readonly List<long> _doomed = [];

        private void RemoveWhere(Func<long, bool> doomed)
        {
            _doomed.Clear();
            foreach (var m in States.Keys)
                if (doomed(m)) _doomed.Add(m);
            foreach (var m in _doomed) States.Remove(m);
        }
    }

    private readonly Dictionary<(string Site, string Rule, bool Commissioned), MinuteCache> _minuteCaches = [];

    private MinuteCache MinutesOf(SiteContext site, Rule rule, bool commissioned)
    {
        if (!_minuteCaches.TryGetValue((site.Id, rule.Id, commissioned), out var cache) || !ReferenceEquals(cache.Site, site))
            _minuteCaches[(site.Id, rule.Id, commissioned)] = cache = new MinuteCache(site);
        return cache;
    }
    private readonly List<Lead> _open = [], _overlapping = [];
    private readonly List<Episode> _episodes = [];
    private readonly Dictionary<string, string[]> _alone = new(StringComparer.Ordinal);

    /// <summary>A device as the only breaching one of a minute, one array per device for all of them.</summary>
    private string[] Alone(string device)
    {
        if (!_alone.TryGetValue(device, out var array)) _alone[device] = array = [device];
        return array;
    }

    /// <summary>A lead for an episode nobody had raised yet.</summary>
    private Lead NewLead(Rule rule, SiteContext site, bool commissioned, Episode episode, DateTimeOffset now)
    {
        // Judged by the profile version in force when the episode began (a quiet period's, say); the lead names it.
        var profile = site.ProfileAt(episode.Start);
        var firstWindowEnd = DateTimeOffset.FromUnixTimeSeconds((episode.Start + rule.Window(profile)) * 60);
        var lead = new Lead
        {
            Queue = LeadQueue.Enforcement,
            Rule = rule.Id,
            Site = site.Id,
            StartMinute = episode.Start,
            EndMinute = episode.End,
            WindowMinutes = rule.Window(profile),
            Value = episode.Worst,
            Limit = rule.Limit(profile),
            Unit = rule.Unit,
            Late = now - firstWindowEnd > RuleLimits.LateAfter,
            RaisedAt = now,
            UpdatedAt = now,
            Profile = profile.Id,
            ProfileVersion = profile.Version,
            // Art. 41: only data from a reviewed installation may be used; other breaches are shown, not pursued.
            Status = commissioned ? LeadStatus.New : LeadStatus.NotCommissioned,
        };
        _changed.Add(lead);
        return lead;
    }

    /// <summary>A lead the pipeline still shapes: not merged into another, not withdrawn.</summary>
    private static bool IsOpen(Lead lead) => lead.Status is not (LeadStatus.Merged or LeadStatus.Withdrawn);
}
