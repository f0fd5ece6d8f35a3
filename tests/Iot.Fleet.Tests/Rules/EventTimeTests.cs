using FsCheck.Fluent;
using FsCheck;
using Iot.Contract;
using Iot.Fleet.Leads;
using Iot.Fleet.Rules;
using Iot.Fleet.Telemetry;
using Xunit;

namespace Iot.Fleet.Tests.Rules;

/// <summary>Rules v2: episodes end on clear minutes (the rule resting counts), and the leads are a function of the records
/// alone: late data merges and cuts what was raised, with a history, and never deletes a lead.</summary>
public sealed class EventTimeTests
{
    private static readonly DateTime Evening = new(2026, 11, 20, 21, 0, 0);

    private static Dictionary<string, double> Noise(double laeq) => new() { ["laeq"] = laeq, ["lafmax"] = laeq + 5 };
    private static Dictionary<string, double> Kitchen(double fan, double pur, double fume = 0.8) => new() { ["fume"] = fume, ["fan"] = fan, ["pur"] = pur };

    private static RuleBench Bench(SiteKind kind, params string[] devices)
    {
        var bench = new RuleBench(new DateTimeOffset(Evening.AddDays(5), TimeSpan.FromHours(8)));
        bench.Site("S1", kind, null, devices.Length == 0 ? ["D1"] : devices);
        return bench;
    }

    private static TelemetryRecord Minute(string device, uint seq, DateTime local, Dictionary<string, double> m, int q = 0) =>
        new(device, seq, RuleBench.Utc(local), 60, q, m);

    [Fact]
    public void A_site_that_breaches_every_night_gets_a_lead_for_each_night()
    {
        var bench = Bench(SiteKind.Noise);
        var seq = 0u;
        // Two nights loud from 23:00 to 01:00, and a quiet day between them (60 dB(A) is over the night limit but under the day one).
        for (var t = new DateTime(2026, 11, 20, 22, 0, 0); t < new DateTime(2026, 11, 22, 2, 0, 0); t = t.AddMinutes(1))
        {
            var loud = t.Hour is 23 or 0;
            bench.Send(Minute("D1", ++seq, t, Noise(loud ? 65 : t.Hour is >= 6 and < 22 ? 60 : 50)));
        }
        var nights = bench.Leads.Where(l => l.Rule == "noise.night_leq").ToList();
        Assert.Equal(2, nights.Count);
        Assert.Equal([new DateTime(2026, 11, 20), new DateTime(2026, 11, 21)], nights.Select(l => RuleBench.Local(l.StartMinute).Date));
        Assert.All(nights, l => Assert.InRange(RuleBench.Local(l.EndMinute).TimeOfDay, TimeSpan.FromHours(0), TimeSpan.FromHours(1)));
    }

    [Fact]
    public void Lunch_and_dinner_are_two_leads_when_the_fan_rests_between_them()
    {
        var bench = Bench(SiteKind.Fume);
        var seq = 0u;
        for (var t = new DateTime(2026, 11, 20, 11, 0, 0); t < new DateTime(2026, 11, 20, 20, 0, 0); t = t.AddMinutes(1))
        {
            var meal = t.Hour is 11 or 12 or 18 or 19;
            // Cooking with the purifier off at both meals; the kitchen closed (fan off) in between.
            bench.Send(Minute("D1", ++seq, t, meal ? Kitchen(fan: 1, pur: 0) : Kitchen(fan: 0, pur: 0, fume: 0.1)));
        }
        Assert.Equal(2, bench.Leads.Count(l => l.Rule == "fume.purifier_off"));
    }

    [Fact]
    public void A_gap_without_data_inside_a_night_episode_keeps_one_lead()
    {
        var bench = Bench(SiteKind.Noise);
        var seq = 0u;
        for (var t = new DateTime(2026, 11, 20, 23, 0, 0); t < new DateTime(2026, 11, 21, 3, 0, 0); t = t.AddMinutes(1))
            if (t.Hour != 1) bench.Send(Minute("D1", ++seq, t, Noise(65))); // the gateway was offline from 01:00 to 02:00
        Assert.Single(bench.Leads, l => l.Rule == "noise.night_leq");
    }

    [Fact]
    public void A_fume_window_with_fewer_than_five_cooking_minutes_does_not_breach()
    {
        var bench = Bench(SiteKind.Fume);
        var seq = 0u;
        var start = new DateTime(2026, 11, 20, 15, 0, 0);
        // Four minutes of heavy fume with the fan on, the rest of each window with the fan off.
        for (var i = 0; i < 30; i++) bench.Send(Minute("D1", ++seq, start.AddMinutes(i), i % 10 < 4 ? Kitchen(1, 1, fume: 9) : Kitchen(0, 0, fume: 0.1)));
        Assert.Empty(bench.Leads);
        for (var i = 30; i < 40; i++) bench.Send(Minute("D1", ++seq, start.AddMinutes(i), i % 10 < 5 ? Kitchen(1, 1, fume: 9) : Kitchen(0, 0, fume: 0.1)));
        Assert.Single(bench.Leads, l => l.Rule == "fume.concentration");
    }

    [Fact]
    public void A_noise_and_dust_monitor_at_one_site_is_judged_by_both_kinds_of_rules()
    {
        var bench = new RuleBench(new DateTimeOffset(Evening.AddDays(5), TimeSpan.FromHours(8)));
        var site = bench.Site("S1", SiteKind.Noise, null, "D1");
        site.Kinds = [SiteKind.Noise, SiteKind.Dust];
        var seq = 0u;
        var start = new DateTime(2026, 11, 20, 9, 0, 0);
        for (var i = 0; i < 90; i++)
            bench.Send(Minute("D1", ++seq, start.AddMinutes(i), new() { ["laeq"] = 75, ["lafmax"] = 80, ["pm10"] = 200, ["pm25"] = 90 }));
        Assert.Equal(["dust.pm10", "noise.day_leq"], bench.Leads.Select(l => l.Rule).Order());
    }

    [Fact]
    public void Late_records_that_join_two_leads_merge_the_later_into_the_earlier_with_a_history()
    {
        var bench = Bench(SiteKind.Noise);
        var start = new DateTime(2026, 11, 20, 10, 0, 0);
        // Loud (75 dB(A)) 10:00–10:29 and 11:10–11:39, quiet (50) between: two leads, the windows between are clear.
        // Minutes 10:40 and 10:55 are missing at first; every window still has 19 of 20 minutes and is judged.
        double Level(int i) => i is 40 or 55 ? 100 : i is >= 30 and < 70 ? 50 : 75;
        for (var i = 0; i < 100; i++)
            if (i is not (40 or 55)) bench.Send(Minute("D1", (uint)(i + 1), start.AddMinutes(i), Noise(Level(i))));
        Assert.Equal(2, bench.Leads.Count);
        // The missing minutes were very loud: every window between now breaches, and the episodes are one.
        bench.Send(Minute("D1", 41, start.AddMinutes(40), Noise(Level(40))));
        Assert.Equal(2, bench.Leads.Count);
        bench.Send(Minute("D1", 56, start.AddMinutes(55), Noise(Level(55))));
        var survivor = Assert.Single(bench.Leads);
        var merged = Assert.Single(bench.AllLeads, l => l.Status == LeadStatus.Merged);
        Assert.Equal(survivor.Id, merged.MergedInto);
        Assert.True(merged.StartMinute > survivor.StartMinute);
        Assert.Contains(bench.History, h => h.Lead == merged.Id && h.Change == LeadChanges.Merged && h.Detail.Contains($"lead {survivor.Id}"));
        Assert.Contains(bench.History, h => h.Lead == survivor.Id && h.Change == LeadChanges.Absorbed && h.Detail.Contains("record D1 #56"));
    }

    [Fact]
    public void Late_records_that_show_a_clean_stretch_cut_a_lead_and_start_a_new_one()
    {
        var bench = Bench(SiteKind.Fume);
        var start = new DateTime(2026, 11, 20, 11, 0, 0);
        // Purifier off 0–19 and 40–59; minutes 20–39 arrive last: meanwhile the gap is neutral and one lead spans both.
        for (var i = 0; i < 60; i++)
            if (i is < 20 or >= 40) bench.Send(Minute("D1", (uint)(i + 1), start.AddMinutes(i), Kitchen(1, 0)));
        var spanning = Assert.Single(bench.Leads);
        for (var i = 20; i < 40; i++) bench.Send(Minute("D1", (uint)(i + 1), start.AddMinutes(i), Kitchen(1, 1)));
        Assert.Equal(2, bench.Leads.Count);
        Assert.Equal(spanning.Id, bench.Leads[0].Id);
        Assert.True(bench.Leads[0].EndMinute < bench.Leads[1].StartMinute - RuleLimits.EpisodeEndsAfterMinutes);
        Assert.Contains(bench.History, h => h.Lead == spanning.Id && h.Change == LeadChanges.Cut && h.Detail.Contains($"lead {bench.Leads[1].Id}"));
        Assert.Contains(bench.History, h => h.Lead == bench.Leads[1].Id && h.Change == LeadChanges.Cut && h.Detail.Contains($"lead {spanning.Id}"));
    }

    /// <summary>One generated scenario: a kind, devices, and per device a run of segments (value class and length).</summary>
    public sealed record Scenario(int Kind, int Devices, int StartMinuteOfDay, (int Class, int Length)[][] Segments, int Seed);

    private static readonly Gen<Scenario> Scenarios =
        from kind in Gen.Choose(0, 2)
        from devices in Gen.Choose(1, 2)
        from startMinute in Gen.Choose(0, 1439)
        from segments in Gen.Choose(0, 4).Zip(Gen.Choose(1, 45)).ArrayOf().Select(a => a.Take(12).ToArray()).ArrayOf(devices)
        from seed in Gen.Choose(0, int.MaxValue)
        select new Scenario(kind, devices, startMinute, segments.Select(s => s.Select(p => (p.Item1, p.Item2)).ToArray()).ToArray(), seed);

    [Fact]
    public void The_leads_of_any_arrival_order_with_restarts_and_duplicates_equal_the_leads_in_time_order()
    {
        Prop.ForAll(Scenarios.ToArbitrary(), scenario =>
        {
            var records = Records(scenario);
            var ordered = Judge(scenario, records.OrderBy(r => r.Time).ThenBy(r => r.Device, StringComparer.Ordinal).ToList(), restarts: []);
            var random = new Random(scenario.Seed);
            var shuffled = records.OrderBy(_ => random.Next()).ToList();
            // Re-sent records (a gateway that missed a PUBACK) and fleet restarts in the middle.
            shuffled.InsertRange(random.Next(shuffled.Count + 1), shuffled.Take(random.Next(Math.Min(20, shuffled.Count + 1))).ToList());
            var restarts = Enumerable.Range(0, 3).Select(_ => random.Next(shuffled.Count + 1)).ToHashSet();
            var any = Judge(scenario, shuffled, restarts);
            Assert.Equal(ordered, any);
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(150));
    }

    private static List<TelemetryRecord> Records(Scenario s)
    {
        var start = new DateTime(2026, 11, 20, 0, 0, 0).AddMinutes(s.StartMinuteOfDay);
        var list = new List<TelemetryRecord>();
        for (var d = 0; d < s.Devices; d++)
        {
            var minute = 0;
            uint seq = 0;
            foreach (var (cls, length) in s.Segments[d])
                for (var i = 0; i < length; i++, minute++)
                {
                    if (cls == 4) continue; // missing: the gateway was offline
                    var q = cls == 3 ? Iot.Contract.QualityBits.SensorFault : 0;
                    var breach = cls == 1;
                    Dictionary<string, double> m = s.Kind switch
                    {
                        0 => Noise(breach ? 78 : cls == 2 ? 60 : 45),
                        1 => new() { ["pm10"] = breach ? 240 : 60, ["rh"] = cls == 2 ? 95 : 40 },
                        _ => cls == 2 ? Kitchen(0, 0, 0.1) : Kitchen(1, breach ? 0 : 1, breach ? 3 : 0.5),
                    };
                    list.Add(new TelemetryRecord($"D{d + 1}", ++seq, RuleBench.Utc(start.AddMinutes(minute)), 60, q, m));
                }
        }
        return list;
    }

    /// <summary>Feeds records as the ingest would (skipping a (dev, seq) already stored) and returns the open leads.</summary>
    private static List<string> Judge(Scenario s, List<TelemetryRecord> arrivals, HashSet<int> restarts)
    {
        var kind = s.Kind switch { 0 => SiteKind.Noise, 1 => SiteKind.Dust, _ => SiteKind.Fume };
        var bench = new RuleBench(new DateTimeOffset(new DateTime(2026, 11, 25), TimeSpan.FromHours(8)));
        bench.Site("S1", kind, null, Enumerable.Range(1, s.Devices).Select(d => $"D{d}").ToArray());
        var stored = new HashSet<(string, uint)>();
        for (var i = 0; i < arrivals.Count; i++)
        {
            if (restarts.Contains(i)) bench.Restart();
            if (stored.Add((arrivals[i].Device, arrivals[i].Seq))) bench.Send(arrivals[i]);
        }
        return bench.Leads.Select(l => $"{l.Rule} {l.StartMinute}-{l.EndMinute} [{string.Join(",", l.Devices)}] {l.Value:R}").Order(StringComparer.Ordinal).ToList();
    }
}
