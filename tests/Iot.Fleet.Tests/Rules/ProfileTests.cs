using Iot.Fleet.Rules;
using Iot.Fleet.Telemetry;
using Xunit;

namespace Iot.Fleet.Tests.Rules;

/// <summary>Profiles as data: the shipped standards, the profile in force at a minute (versions, quiet periods),
/// and rules that take limit, window and coverage from it.</summary>
public sealed class ProfileTests
{
    // 2026-06-08 10:00 Asia/Shanghai, a weekday morning: day for the noise rules.
    private static readonly DateTimeOffset Morning = new(2026, 6, 8, 10, 0, 0, TimeSpan.FromHours(8));
    private static long Minute(DateTimeOffset t) => t.ToUnixTimeSeconds() / 60;

    private static RuleProfile Shipped(string id) => RuleProfile.Find(id)!;

    [Fact]
    public void Shipped_profiles_carry_the_standards_numbers_and_name_their_sources()
    {
        var national = RuleProfile.Default;
        Assert.Equal((70.0, 55.0, 70.0, 150.0, 2.0, 0.5),
            (national.LimitOf("noise.day_leq"), national.LimitOf("noise.night_leq"), national.LimitOf("noise.night_lmax"), national.LimitOf("dust.pm10"),
                national.LimitOf("fume.concentration"), national.LimitOf("fume.purifier_off")));
        Assert.Equal([20, 20, 1, 60, 10, 10], Rule.All.Select(r => national.WindowOf(r.Id)));
        Assert.All(Rule.All, r => Assert.Equal(0.9, national.CoverageOf(r.Id)));
        Assert.Equal((new TimeOnly(22, 0), new TimeOnly(6, 0), 90.0), (national.NightStarts, national.NightEnds, national.FogHumidity));
        Assert.Contains("GB 12523-2011", national.Source);
        Assert.Contains("GB 18483-2001", national.Source);

        Assert.Equal(1.0, Shipped("beijing").LimitOf("fume.concentration"));
        Assert.Contains("DB11/1488-2018", Shipped("beijing").Source);
        Assert.Equal(1.0, Shipped("shanghai").LimitOf("fume.concentration"));
        Assert.Contains("DB31/844-2014", Shipped("shanghai").Source);
        Assert.Equal(80, Shipped("hebei").LimitOf("dust.pm10"));
        Assert.Contains("DB13/2934-2019", Shipped("hebei").Source);
        // Local profiles tighten one limit; the rest is the national default.
        Assert.Equal(2.0, Shipped("hebei").LimitOf("fume.concentration"));
        Assert.Equal(150, Shipped("beijing").LimitOf("dust.pm10"));
        Assert.All(RuleProfile.Shipped, p => Assert.All(Rule.All, r => Assert.True(p.Rules.ContainsKey(r.Id), $"{p.Id} lacks {r.Id}")));
        Assert.Equal(["default", "beijing", "shanghai", "hebei"], RuleProfile.Shipped.Select(p => p.Id));
    }

    [Fact]
    public void A_quiet_period_judges_the_site_by_its_profile_for_its_span_only()
    {
        var from = Morning.AddDays(1);
        var to = from.AddDays(2);
        var site = new SiteContext("S", SiteKind.Fume, RuleBench.Shanghai, RuleProfile.Default)
        {
            Schedule = new ProfileSchedule([RuleProfile.Default], [new QuietSpan(from, to, [Shipped("beijing")])]),
        };

        Assert.Equal("default", site.ProfileAt(Minute(from) - 1).Id);
        Assert.Equal("beijing", site.ProfileAt(Minute(from)).Id);
        Assert.Equal("beijing", site.ProfileAt(Minute(to) - 1).Id);
        Assert.Equal("default", site.ProfileAt(Minute(to)).Id);
        Assert.Equal("default", site.Profile.Id);

        // 1.5 mg/m³ with the fan running: within the national limit, over Beijing's.
        var timeline = Timeline(from.AddHours(-1), 4 * 24 * 60, _ => new() { ["fume"] = 1.5, ["fan"] = 1, ["pur"] = 1 });
        var rule = new FumeConcentrationRule();
        Assert.Equal(WindowState.Clear, rule.Judge(timeline, Minute(from) - 30, site).State);
        Assert.Equal(WindowState.Breach, rule.Judge(timeline, Minute(from), site).State);
        Assert.Equal(WindowState.Clear, rule.Judge(timeline, Minute(to), site).State);
    }

    [Fact]
    public void A_new_version_applies_from_its_valid_from_and_the_old_one_before()
    {
        var change = Morning.AddHours(3);
        var v1 = Shipped("hebei") with { Id = "dust-city" };
        var v2 = v1.WithLimit("dust.pm10", 60) with { Version = 2, ValidFrom = change };
        var site = new SiteContext("S", SiteKind.Dust, RuleBench.Shanghai, v1) { Schedule = new ProfileSchedule([v1, v2], []) };

        Assert.Equal(1, site.ProfileAt(Minute(change) - 1).Version);
        Assert.Equal(2, site.ProfileAt(Minute(change)).Version);
        // Version 1 holds from the start, also before its own date.
        Assert.Equal(1, site.ProfileAt(0).Version);

        var timeline = Timeline(Morning, 8 * 60, _ => new() { ["pm10"] = 70, ["rh"] = 40 });
        var rule = new Pm10Rule();
        Assert.Equal(WindowState.Clear, rule.Judge(timeline, Minute(change) - 60, site).State);
        Assert.Equal(WindowState.Breach, rule.Judge(timeline, Minute(change), site).State);
    }

    [Fact]
    public void Rules_take_window_coverage_and_humidity_cut_off_from_the_profile()
    {
        var rule = new Pm10Rule();
        // Every other minute valid: half the window.
        var timeline = Timeline(Morning, 120, i => i % 2 == 0 ? new() { ["pm10"] = 200, ["rh"] = 85 } : new() { ["pm25"] = 10 });
        var strict = new SiteContext("S", SiteKind.Dust, RuleBench.Shanghai, RuleProfile.Default);
        Assert.Equal(WindowState.NotJudged, rule.Judge(timeline, Minute(Morning), strict).State);

        var lenient = new ProfileDefinition { Rules = new() { ["dust.pm10"] = new() { Window = 30, Coverage = 0.5 } } }
            .Resolve(RuleProfile.Default, "lenient", 1, DateTimeOffset.UnixEpoch, new())!;
        var site = new SiteContext("S", SiteKind.Dust, RuleBench.Shanghai, lenient);
        Assert.Equal((30, 15), (rule.Window(lenient), rule.MinimumValidMinutes(lenient)));
        Assert.Equal(WindowState.Breach, rule.Judge(timeline, Minute(Morning), site).State);

        // With the humidity cut-off at 80 %, the 85 % minutes are fog: missing, not clean.
        var foggy = new ProfileDefinition { FogHumidity = 80 }.Resolve(lenient, "foggy", 1, DateTimeOffset.UnixEpoch, new())!;
        Assert.Equal(WindowState.NotJudged, rule.Judge(timeline, Minute(Morning), new SiteContext("S", SiteKind.Dust, RuleBench.Shanghai, foggy)).State);
    }

    [Fact]
    public void A_profile_whose_night_starts_later_moves_the_night_rules()
    {
        var late = new ProfileDefinition { NightStarts = "23:00" }.Resolve(RuleProfile.Default, "late-night", 1, DateTimeOffset.UnixEpoch, new())!;
        var tenPast22 = Minute(new DateTimeOffset(2026, 6, 8, 22, 10, 0, TimeSpan.FromHours(8)));
        Assert.True(new SiteContext("S", SiteKind.Noise, RuleBench.Shanghai, RuleProfile.Default).WhollyNight(tenPast22, 20));
        Assert.True(new SiteContext("S", SiteKind.Noise, RuleBench.Shanghai, late).WhollyDay(tenPast22, 20));
    }

    [Fact]
    public void A_definition_is_refused_field_by_field()
    {
        var problems = new Dictionary<string, string[]>();
        var profile = new ProfileDefinition
        {
            NightStarts = "25:00", FogHumidity = 30,
            Rules = new()
            {
                ["noise.day_leq"] = new() { Limit = -3, Window = 2000 },
                ["noise.night_lmax"] = new() { Window = 20 },
                ["dust.pm10"] = new() { Limit = 100_000, Coverage = 0.2 },
                ["noise.nope"] = new() { Limit = 1 },
            },
        }.Resolve(RuleProfile.Default, "bad", 1, DateTimeOffset.UnixEpoch, problems);

        Assert.Null(profile);
        Assert.Equal(
            ["fogHumidity", "nightStarts", "rules.dust.pm10.coverage", "rules.dust.pm10.limit", "rules.noise.day_leq.limit", "rules.noise.day_leq.window",
                "rules.noise.night_lmax.window", "rules.noise.nope"],
            problems.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("1…1440", problems["rules.noise.day_leq.window"][0]);
        Assert.Contains("dB(A)", problems["rules.noise.day_leq.limit"][0]);

        var sameHours = new Dictionary<string, string[]>();
        new ProfileDefinition { NightStarts = "06:00" }.Resolve(RuleProfile.Default, "x", 1, DateTimeOffset.UnixEpoch, sameHours);
        Assert.Equal(["nightEnds"], sameHours.Keys);
    }

    private static DeviceTimeline Timeline(DateTimeOffset start, int minutes, Func<int, Dictionary<string, double>> measure)
    {
        var timeline = new DeviceTimeline("D1");
        for (var i = 0; i < minutes; i++)
            timeline.Add(new TelemetryRecord("D1", (uint)i + 1, start.ToUnixTimeSeconds() + i * 60L, 60, 0, measure(i)));
        return timeline;
    }
}
