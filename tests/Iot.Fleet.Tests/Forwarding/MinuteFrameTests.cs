using Iot.Fleet.Forwarding;
using Iot.Hj212;
using Xunit;

namespace Iot.Fleet.Tests.Forwarding;

/// <summary>How one site's minute becomes the CP of a 2051 frame.</summary>
public sealed class MinuteFrameTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 15, 2, 30, 0, TimeSpan.Zero);

    private static (int, IReadOnlyDictionary<string, double>) Record(int q, params (string Channel, double Value)[] values) =>
        (q, values.ToDictionary(v => v.Channel, v => v.Value));

    [Fact]
    public void Several_devices_give_min_avg_max_of_their_values_in_the_platforms_units_at_the_minutes_start_in_Beijing_time()
    {
        var cp = PlatformQueue.MinuteCp([Record(0, ("pm10", 81), ("laeq", 52.34)), Record(0, ("pm10", 112), ("laeq", 71.25)), Record(0, ("pm10", 95.5))],
            Start, Hj212Factors.Default);
        Assert.Equal("DataTime=20260315103000;a34002-Min=0.081,a34002-Avg=0.096,a34002-Max=0.112,a34002-Flag=N;"
            + "a50001-Min=52.3,a50001-Avg=61.8,a50001-Max=71.3,a50001-Flag=N", cp);
        // What the codec reads back.
        var factors = Hj212Cp.Parse(cp).Factors;
        Assert.Equal(0.096, factors.Single(f => f.Code == "a34002").Number("Avg"));
    }

    [Fact]
    public void Valid_records_decide_and_a_minute_without_one_is_flagged_by_its_quality()
    {
        // A device in maintenance beside a good one: only the good one counts.
        Assert.Equal("DataTime=20260315103000;a34002-Min=0.08,a34002-Avg=0.08,a34002-Max=0.08,a34002-Flag=N",
            PlatformQueue.MinuteCp([Record(0, ("pm10", 80)), Record(8, ("pm10", 900))], Start, Hj212Factors.Default));
        Assert.EndsWith("a34002-Flag=M", PlatformQueue.MinuteCp([Record(8, ("pm10", 900))], Start, Hj212Factors.Default));
        Assert.EndsWith("a34002-Flag=D", PlatformQueue.MinuteCp([Record(2, ("pm10", 900))], Start, Hj212Factors.Default));
        Assert.EndsWith("a34002-Flag=D", PlatformQueue.MinuteCp([Record(16, ("pm10", 900))], Start, Hj212Factors.Default));
        // The case opened in maintenance mode: the maintenance explains it.
        Assert.EndsWith("a34002-Flag=M", PlatformQueue.MinuteCp([Record(16 | 8, ("pm10", 900))], Start, Hj212Factors.Default));
        // Informational bits (backfill, power) leave a record valid.
        Assert.EndsWith("a34002-Flag=N", PlatformQueue.MinuteCp([Record(32 | 64, ("pm10", 80))], Start, Hj212Factors.Default));
    }

    [Fact]
    public void A_platforms_codes_rename_or_leave_out_channels_and_channels_without_a_code_are_not_sent()
    {
        var platform = new PlatformOptions { Codes = { ["laeq"] = "Leq", ["rh"] = "" } };
        var cp = PlatformQueue.MinuteCp([Record(0, ("laeq", 57.4), ("rh", 60), ("fume", 1.2))], Start, Hj212Factors.For(platform));
        Assert.Equal("DataTime=20260315103000;Leq-Min=57.4,Leq-Avg=57.4,Leq-Max=57.4,Leq-Flag=N", cp);
    }

    [Fact]
    public void Wrong_configuration_is_named()
    {
        var options = new ForwardingOptions
        {
            Platforms = { ["p"] = new PlatformOptions { Host = "10.0.0.1", Port = 8005, Version = 2019 } },
            Sites =
            {
                ["A"] = new ReportingSite { Platform = "p", Mn = "MN1" }, ["B"] = new ReportingSite { Platform = "q", Mn = "MN1" },
                ["0"] = new ReportingSite { Site = "A", Platform = "p", Mn = "MN2" },
            },
        };
        var problems = options.Problems().ToList();
        Assert.Contains(problems, p => p.Contains("Version must be 2017 or 2025"));
        Assert.Contains(problems, p => p.Contains("Platform q is not configured"));
        Assert.Contains(problems, p => p.Contains("MN MN1 is given to more than one site"));
        Assert.Contains(problems, p => p.Contains("site A is given more than once"));
    }
}
