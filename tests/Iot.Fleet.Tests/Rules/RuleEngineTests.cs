using QualityBits = Iot.Contract.QualityBits;
using Iot.Contract;
using Iot.Fleet.Rules;
using Iot.Fleet.Telemetry;
using Xunit;

namespace Iot.Fleet.Tests.Rules;

/// <summary>The default rules of ../shared/spec/rules.md, judged on hand-made minutes.</summary>
public sealed class RuleEngineTests
{
    // A Friday in Asia/Shanghai (UTC+8); the bench clock follows the data as a live gateway would.
    private static readonly DateTime Day = new(2026, 11, 20, 10, 0, 0);
    private static readonly DateTime Night = new(2026, 11, 20, 23, 0, 0);

    private static Dictionary<string, double> Noise(double laeq, double? lafmax = null) =>
        new() { ["laeq"] = laeq, ["lafmax"] = lafmax ?? laeq + 5 };

    private static RuleBench Bench(SiteKind kind, RuleProfile? profile = null, params string[] devices)
    {
        var bench = new RuleBench(new DateTimeOffset(Day.AddDays(-1), TimeSpan.FromHours(8)));
        bench.Site("S1", kind, profile, devices.Length == 0 ? ["D1"] : devices);
        return bench;
    }

    private static void Live(RuleBench bench, string device, DateTime startLocal, int minutes, Func<int, Dictionary<string, double>> measure, int quality = 0)
    {
        for (var i = 0; i < minutes; i++)
        {
            bench.Clock.Now = DateTimeOffset.FromUnixTimeSeconds(RuleBench.Utc(startLocal.AddMinutes(i + 1)) + 5);
            bench.Minutes(device, startLocal.AddMinutes(i), 1, _ => measure(i), quality);
        }
    }

    [Fact]
    public void Leq_is_the_energy_mean_of_the_minutes()
    {
        var site = new SiteContext("S", SiteKind.Noise, RuleBench.Shanghai, RuleProfile.Default);
        var timeline = new DeviceTimeline("D");
        var t0 = RuleBench.Utc(Day);
        for (var i = 0; i < 20; i++)
            timeline.Add(new TelemetryRecord("D", (uint)i, t0 + i * 60, 60, 0, Noise(i < 10 ? 60 : 70)));
        var verdict = new LeqRule(night: false).Judge(timeline, t0 / 60, site);
        // 10·log10((10^6 + 10^7) / 2) = 67.404 dB(A), not the arithmetic 65.
        Assert.Equal(67.404, verdict.Value, 3);
        Assert.Equal(WindowState.Clear, verdict.State);
    }

    [Fact]
    public void A_day_breach_raises_exactly_one_lead_for_its_episode()
    {
        var bench = Bench(SiteKind.Noise);
        Live(bench, "D1", Day, 40, _ => Noise(75));

        var lead = Assert.Single(bench.Leads);
        Assert.Equal("noise.day_leq", lead.Rule);
        // The window from 09:58 already has 18 of 20 minutes valid (90 %): it is judged, and breaches.
        Assert.Equal(RuleBench.Utc(Day.AddMinutes(-2)) / 60, lead.StartMinute);
        Assert.Equal(RuleBench.Utc(Day.AddMinutes(20)) / 60, lead.EndMinute); // the last complete window starts at 10:20
        Assert.Equal(75, lead.Value, 6);
        Assert.Equal(70, lead.Limit);
        Assert.Equal("dB(A)", lead.Unit);
        Assert.False(lead.Late);
        Assert.Equal(["D1"], lead.Devices);
    }

    [Theory]
    [InlineData(70.0)]
    [InlineData(69.9)]
    public void A_near_miss_raises_nothing(double laeq)
    {
        var bench = Bench(SiteKind.Noise);
        Live(bench, "D1", Day, 60, _ => Noise(laeq));
        Assert.Empty(bench.Leads);
    }

    [Theory]
    [InlineData(QualityBits.ClockUnsynced)]
    [InlineData(QualityBits.SensorFault)]
    [InlineData(QualityBits.WarmUp)]
    [InlineData(QualityBits.Maintenance)]
    [InlineData(QualityBits.Tamper)]
    public void Records_that_are_not_evidence_never_make_a_lead(int quality)
    {
        var bench = Bench(SiteKind.Noise);
        Live(bench, "D1", Day, 40, _ => Noise(90), quality);
        Assert.Empty(bench.Leads);
    }

    [Fact]
    public void Informational_bits_still_count_as_evidence()
    {
        var bench = Bench(SiteKind.Noise);
        Live(bench, "D1", Day, 40, _ => Noise(75), QualityBits.Backfill | QualityBits.PowerInterruption);
        Assert.Single(bench.Leads);
    }

    [Fact]
    public void Two_invalid_minutes_in_twenty_still_judge_three_do_not()
    {
        var two = Bench(SiteKind.Noise);
        for (var i = 0; i < 20; i++)
            Live(two, "D1", Day.AddMinutes(i), 1, _ => Noise(75), quality: i < 2 ? QualityBits.SensorFault : 0);
        Assert.Single(two.Leads);

        var three = Bench(SiteKind.Noise);
        for (var i = 0; i < 20; i++)
            Live(three, "D1", Day.AddMinutes(i), 1, _ => Noise(75), quality: i < 3 ? QualityBits.SensorFault : 0);
        // Only the window 10:00–10:20 is complete, with 17 valid minutes: not judged.
        Assert.Empty(three.Leads);
    }

    [Fact]
    public void A_window_across_22_00_is_neither_day_nor_night()
    {
        var bench = Bench(SiteKind.Noise);
        // 65 dB(A) breaks the night limit (55) but not the day limit (70); no window lies wholly in night.
        Live(bench, "D1", new DateTime(2026, 11, 20, 21, 45, 0), 31, _ => Noise(65, 66));
        Assert.Empty(bench.Leads);
    }

    [Fact]
    public void Night_rules_fire_with_or_without_a_permit_and_the_lead_names_the_permit()
    {
        var without = Bench(SiteKind.Noise);
        Live(without, "D1", Night, 40, _ => Noise(60, 75));
        Assert.Equal(["noise.night_leq", "noise.night_lmax"], without.Leads.Select(l => l.Rule).Order());
        Assert.Equal(70, without.Leads.Single(l => l.Rule == "noise.night_lmax").Limit);
        Assert.All(without.Leads, l => Assert.Null(l.Permit));

        // A permit allows the work, not the noise (噪声污染防治法): the same leads, naming the permit.
        var with = Bench(SiteKind.Noise);
        var permitted = with.Site("S2", SiteKind.Noise, null, "D2");
        permitted.Permits = [new PermitSpan(42, new DateTimeOffset(Night.AddHours(-1), TimeSpan.FromHours(8)), new DateTimeOffset(Night.AddHours(7), TimeSpan.FromHours(8)))];
        Live(with, "D2", Night, 40, _ => Noise(60, 75));
        Assert.Equal(["noise.night_leq", "noise.night_lmax"], with.Leads.Select(l => l.Rule).Order());
        Assert.All(with.Leads, l => Assert.Equal(42, l.Permit));
    }

    [Fact]
    public void Clear_minutes_shorter_than_the_episode_gap_keep_one_lead()
    {
        var bench = Bench(SiteKind.Noise);
        Live(bench, "D1", Night, 3, _ => Noise(50, 80));
        Live(bench, "D1", Night.AddMinutes(3), 9, _ => Noise(50, 60));
        Live(bench, "D1", Night.AddMinutes(12), 3, _ => Noise(50, 80));
        var lead = Assert.Single(bench.Leads);
        Assert.Equal(RuleBench.Utc(Night.AddMinutes(14)) / 60, lead.EndMinute);
    }

    [Fact]
    public void Ten_clear_minutes_end_the_episode()
    {
        var bench = Bench(SiteKind.Noise);
        Live(bench, "D1", Night, 3, _ => Noise(50, 80));
        Live(bench, "D1", Night.AddMinutes(3), 10, _ => Noise(50, 60));
        Live(bench, "D1", Night.AddMinutes(13), 3, _ => Noise(50, 80));
        Assert.Equal(2, bench.Leads.Count);
    }

    [Fact]
    public void A_gap_without_valid_data_does_not_end_the_episode()
    {
        var bench = Bench(SiteKind.Noise);
        Live(bench, "D1", Night, 3, _ => Noise(50, 80));
        Live(bench, "D1", Night.AddMinutes(3), 30, _ => Noise(50, 60), QualityBits.SensorFault);
        Live(bench, "D1", Night.AddMinutes(33), 3, _ => Noise(50, 80));
        Assert.Single(bench.Leads);
    }

    [Fact]
    public void How_devices_interleave_does_not_change_the_leads()
    {
        // Each gateway sends its records oldest first (it drains its journal in order);
        // how two gateways' streams interleave at the fleet must not matter.
        var streams = new[] { "D1", "D2" }.Select(device =>
        {
            var records = new List<TelemetryRecord>();
            void Add(DateTime start, int count, double lmax) =>
                records.AddRange(Enumerable.Range(0, count).Select(i => new TelemetryRecord(device, 0, RuleBench.Utc(start.AddMinutes(i)), 60, 0, Noise(50, lmax + (device == "D2" ? 1 : 0)))));
            Add(Night, 3, 80);
            Add(Night.AddMinutes(3), 6, 60);
            Add(Night.AddMinutes(9), 3, 80);
            Add(Night.AddMinutes(12), 15, 60);
            Add(Night.AddMinutes(27), 2, 80);
            return records;
        }).ToArray();

        string Outcome(Random? random)
        {
            var bench = Bench(SiteKind.Noise, null, "D1", "D2");
            bench.Clock.Now = DateTimeOffset.FromUnixTimeSeconds(RuleBench.Utc(Night.AddHours(1)));
            var next = new int[2];
            while (next[0] < streams[0].Count || next[1] < streams[1].Count)
            {
                var pick = next[0] == streams[0].Count ? 1 : next[1] == streams[1].Count ? 0 : random?.Next(2) ?? (next[0] <= next[1] ? 0 : 1);
                bench.Send(streams[pick][next[pick]++] with { Seq = bench.NextSeq() });
            }
            return string.Join(";", bench.Leads.Select(l => $"{l.Rule}:{RuleBench.Local(l.StartMinute):HH:mm}-{RuleBench.Local(l.EndMinute):HH:mm}:{string.Join(",", l.Devices)}:{l.Value}"));
        }

        var alternating = Outcome(null);
        Assert.Equal("noise.night_lmax:23:00-23:11:D1,D2:81;noise.night_lmax:23:27-23:28:D1,D2:81", alternating);
        var random = new Random(7);
        for (var run = 0; run < 30; run++) Assert.Equal(alternating, Outcome(random));
    }

    [Fact]
    public void A_lead_raised_from_backfill_long_after_the_breach_is_late()
    {
        var bench = Bench(SiteKind.Noise);
        bench.Clock.Now = new DateTimeOffset(Day.AddHours(3), TimeSpan.FromHours(8));
        bench.Minutes("D1", Day, 40, _ => Noise(75), QualityBits.Backfill);
        Assert.True(Assert.Single(bench.Leads).Late);
    }

    [Fact]
    public void Foggy_minutes_do_not_count_for_pm10()
    {
        Dictionary<string, double> Dust(double pm10, double? rh)
        {
            var m = new Dictionary<string, double> { ["pm10"] = pm10, ["pm25"] = pm10 / 2 };
            if (rh is { } h) m["rh"] = h;
            return m;
        }
        var foggy = Bench(SiteKind.Dust);
        Live(foggy, "D1", Day, 70, i => Dust(200 + i % 3, 95));
        Assert.Empty(foggy.Leads);

        var dry = Bench(SiteKind.Dust);
        Live(dry, "D1", Day, 70, i => Dust(200 + i % 3, 60));
        Assert.Equal(150, Assert.Single(dry.Leads).Limit);

        var noHumidity = Bench(SiteKind.Dust, RuleProfile.Find("hebei"));
        Live(noHumidity, "D1", Day, 70, i => Dust(100 + i % 3, null));
        Assert.Equal(80, Assert.Single(noHumidity.Leads).Limit);
    }

    [Fact]
    public void Fume_counts_only_minutes_with_the_fan_running_and_follows_the_site_profile()
    {
        Dictionary<string, double> Fume(double fume, double fan) => new() { ["fume"] = fume, ["fan"] = fan, ["pur"] = 1 };

        var fanOff = Bench(SiteKind.Fume);
        Live(fanOff, "D1", Day, 15, _ => Fume(2.5, 0.2));
        Assert.Empty(fanOff.Leads);

        var national = Bench(SiteKind.Fume);
        Live(national, "D1", Day, 15, _ => Fume(1.5, 1));
        Assert.Empty(national.Leads);

        var beijing = Bench(SiteKind.Fume, RuleProfile.Find("beijing"));
        Live(beijing, "D1", Day, 15, _ => Fume(1.5, 1));
        var lead = Assert.Single(beijing.Leads);
        Assert.Equal(("fume.concentration", 1.0, "beijing"), (lead.Rule, lead.Limit, lead.Profile));
    }

    [Theory]
    [InlineData(10, 1)]
    [InlineData(9, 0)]
    public void Purifier_off_needs_ten_consecutive_valid_minutes(int minutesOff, int expectedLeads)
    {
        var bench = Bench(SiteKind.Fume);
        Live(bench, "D1", Day, minutesOff, _ => new() { ["fume"] = 0.5, ["fan"] = 1, ["pur"] = 0 });
        Live(bench, "D1", Day.AddMinutes(minutesOff), 10, _ => new() { ["fume"] = 0.5, ["fan"] = 1, ["pur"] = 1 });
        Assert.Equal(expectedLeads, bench.Leads.Count(l => l.Rule == "fume.purifier_off"));
    }

    [Fact]
    public void Records_longer_than_a_minute_are_split_by_time()
    {
        var bench = Bench(SiteKind.Noise);
        var t0 = RuleBench.Utc(Day);
        bench.Clock.Now = DateTimeOffset.FromUnixTimeSeconds(t0 + 45 * 60);
        for (var i = 0; i < 8; i++)
            bench.Send(new TelemetryRecord("D1", bench.NextSeq(), t0 + i * 300, 300, 0, Noise(75)));
        var lead = Assert.Single(bench.Leads);
        Assert.Equal((t0 / 60 - 2, t0 / 60 + 20), (lead.StartMinute, lead.EndMinute));
    }

    [Fact]
    public void Two_devices_at_one_site_share_one_lead()
    {
        var bench = Bench(SiteKind.Noise, null, "D1", "D2");
        for (var i = 0; i < 30; i++)
        {
            Live(bench, "D1", Day.AddMinutes(i), 1, _ => Noise(75));
            Live(bench, "D2", Day.AddMinutes(i), 1, _ => Noise(78));
        }
        var lead = Assert.Single(bench.Leads);
        Assert.Equal(["D1", "D2"], lead.Devices);
        Assert.Equal(78, lead.Value, 6);
    }

    [Fact]
    public void A_restart_in_the_middle_of_an_episode_extends_the_same_lead()
    {
        var bench = Bench(SiteKind.Noise);
        Live(bench, "D1", Day, 25, _ => Noise(75));
        bench.Restart();
        Live(bench, "D1", Day.AddMinutes(25), 25, _ => Noise(75));
        var lead = Assert.Single(bench.Leads);
        Assert.Equal(RuleBench.Utc(Day.AddMinutes(30)) / 60, lead.EndMinute);
    }

    [Fact]
    public void Records_stored_but_not_judged_before_a_crash_are_judged_on_restart()
    {
        var bench = Bench(SiteKind.Noise);
        Live(bench, "D1", Day, 15, _ => Noise(75));
        var t0 = RuleBench.Utc(Day);
        for (var i = 15; i < 40; i++) bench.StoreOnly(new TelemetryRecord("D1", bench.NextSeq(), t0 + i * 60, 60, 0, Noise(75)));
        bench.Restart();
        bench.Replay();
        var lead = Assert.Single(bench.Leads);
        Assert.Equal((t0 / 60 - 2, t0 / 60 + 20), (lead.StartMinute, lead.EndMinute));
    }

    [Fact]
    public void Sixty_identical_valid_minutes_raise_one_flatline_alert_and_no_lead()
    {
        var bench = Bench(SiteKind.Dust);
        // temp at 1 °C resolution and the fan share sit still for hours in normal life: never a flatline.
        Live(bench, "D1", Day, 59, i => new() { ["pm10"] = 35, ["rh"] = 50 + i % 7, ["fan"] = 0, ["temp"] = 20 });
        Assert.Empty(bench.Alerts);
        Live(bench, "D1", Day.AddMinutes(59), 30, i => new() { ["pm10"] = 35, ["rh"] = 50 + i % 7, ["temp"] = 20 });
        var alert = Assert.Single(bench.Alerts);
        Assert.Equal("monitor.flatline", alert.Rule);
        Assert.Contains("pm10", alert.Detail);
        Assert.Empty(bench.Leads);
    }

    [Fact]
    public void A_tamper_bit_raises_an_integrity_alert_not_a_lead()
    {
        var bench = Bench(SiteKind.Noise);
        Live(bench, "D1", Day, 30, _ => Noise(90), QualityBits.Tamper);
        var alert = Assert.Single(bench.Alerts);
        Assert.Equal("monitor.tamper", alert.Rule);
        Assert.Empty(bench.Leads);
    }
}
