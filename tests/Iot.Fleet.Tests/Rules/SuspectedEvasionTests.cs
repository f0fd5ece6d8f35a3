using Iot.Contract;
using Iot.Fleet.Rules;
using Iot.Fleet.Telemetry;
using Xunit;

namespace Iot.Fleet.Tests.Rules;

/// <summary>A tamper event at a restaurant in its business hours is a suspected-evasion lead for inspectors beside the engineers'
/// tamper alarm (issue 18.6), judged by the event's own time, never its arrival, and raised once however often it arrives.</summary>
public sealed class SuspectedEvasionTests
{
    // A Friday in Asia/Shanghai (UTC+8). Business hours 10:00–14:00 and 17:00–22:00.
    private static readonly DateTime Day = new(2026, 11, 20, 0, 0, 0);

    private static (RuleBench Bench, SiteContext Site) Kitchen(SiteKind kind = SiteKind.Fume, bool commissioned = true, params (string, string)[] hours)
    {
        var bench = new RuleBench(new DateTimeOffset(Day, TimeSpan.FromHours(8)));
        var site = bench.Site("R1", kind, null, "GW1");
        site.BusinessHours = OpeningHours.Parse(RuleBench.Shanghai, hours.Length == 0 ? [("10:00", "14:00"), ("17:00", "22:00")] : hours);
        if (commissioned) site.CommissionedFrom = new Dictionary<string, DateTimeOffset> { ["GW1"] = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) };
        return (bench, site);
    }

    /// <summary>The tamper event of GW1 at a local time, arriving at another (the event's own time by default, 20 s later).</summary>
    private static void Tamper(RuleBench bench, DateTime eventLocal, DateTime? arrivalLocal = null)
    {
        bench.Clock.Now = DateTimeOffset.FromUnixTimeSeconds(RuleBench.Utc(arrivalLocal ?? eventLocal) + 20);
        bench.Tamper("GW1", RuleBench.Utc(eventLocal));
    }

    [Fact]
    public void A_tamper_event_in_business_hours_is_a_suspected_evasion_lead_beside_the_tamper_alarm()
    {
        var (bench, _) = Kitchen();
        Tamper(bench, Day.AddHours(11).AddMinutes(30));

        var alarm = Assert.Single(bench.Alerts);
        Assert.Equal("monitor.tamper", alarm.Rule);
        var lead = Assert.Single(bench.Leads);
        Assert.Equal((LeadQueue.Enforcement, SuspectedEvasion.RuleId, LeadStatus.New), (lead.Queue, lead.Rule, lead.Status));
        Assert.Equal(RuleBench.Utc(Day.AddHours(11).AddMinutes(30)) / 60, lead.StartMinute);
        Assert.Equal(lead.StartMinute, lead.EndMinute);
        Assert.Equal(["GW1"], lead.Devices);
        Assert.False(lead.Late);
        // The evidence says it was a tamper event, and when, in the site's local time.
        Assert.True(SuspectedEvasion.IsTamper(lead));
        Assert.StartsWith("tamper event in business hours", lead.Detail);
        Assert.Contains("2026-11-20 11:30 local time (+08:00)", lead.Detail);
    }

    [Theory]
    [InlineData(9, 59)]   // before opening
    [InlineData(14, 0)]   // the first span ends at 14:00
    [InlineData(15, 30)]  // between the spans
    [InlineData(22, 0)]   // closed at 22:00
    [InlineData(3, 0)]    // at night
    public void Outside_business_hours_a_tamper_event_stays_the_ordinary_tamper_alarm(int hour, int minute)
    {
        var (bench, _) = Kitchen();
        Tamper(bench, Day.AddHours(hour).AddMinutes(minute));
        Assert.Equal("monitor.tamper", Assert.Single(bench.Alerts).Rule);
        Assert.Empty(bench.AllLeads);
    }

    [Fact]
    public void The_events_own_time_decides_never_its_arrival()
    {
        var (bench, _) = Kitchen();
        // Opened at 12:00, in business hours, reported only at 23:30 after the gateway's network came back: a (late) lead.
        Tamper(bench, Day.AddHours(12), arrivalLocal: Day.AddHours(23).AddMinutes(30));
        var lead = Assert.Single(bench.Leads);
        Assert.Equal(RuleBench.Utc(Day.AddHours(12)) / 60, lead.StartMinute);
        Assert.True(lead.Late);

        // Opened at 22:30, after closing, reported the next day at 12:30 (open again): no lead.
        Tamper(bench, Day.AddHours(22).AddMinutes(30), arrivalLocal: Day.AddDays(1).AddHours(12).AddMinutes(30));
        Assert.Single(bench.AllLeads);
        Assert.Equal(2, bench.Alerts.Count);
    }

    [Fact]
    public void A_redelivered_or_replayed_tamper_event_never_doubles_the_lead()
    {
        var (bench, _) = Kitchen();
        var opened = Day.AddHours(18);
        Tamper(bench, opened);
        Tamper(bench, opened, arrivalLocal: opened.AddMinutes(2)); // QoS 1: the same event again
        bench.Restart(); // after a crash the engine reads its leads back from the store
        Tamper(bench, opened, arrivalLocal: opened.AddMinutes(5));
        var lead = Assert.Single(bench.AllLeads);
        Assert.Single(bench.Alerts);

        // A second opening five minutes later belongs to the same lead; one half an hour later is a lead of its own.
        Tamper(bench, opened.AddMinutes(5));
        Assert.Equal(RuleBench.Utc(opened.AddMinutes(5)) / 60, Assert.Single(bench.AllLeads).EndMinute);
        Assert.Equal(lead.Id, bench.AllLeads[0].Id);
        Tamper(bench, opened.AddMinutes(40));
        Assert.Equal(2, bench.AllLeads.Count);
    }

    [Fact]
    public void Records_marked_with_the_tamper_bit_in_business_hours_are_one_suspected_evasion_lead()
    {
        var (bench, _) = Kitchen();
        // Opened 13:55 to 14:04: five minutes in business hours (they end at 14:00), five after; the same minutes come twice.
        for (var round = 0; round < 2; round++)
            bench.Minutes("GW1", Day.AddHours(13).AddMinutes(55), 10, _ => new() { ["fume"] = 0.4, ["fan"] = 1, ["pur"] = 1 }, QualityBits.Tamper);

        var lead = Assert.Single(bench.Leads);
        Assert.Equal(SuspectedEvasion.RuleId, lead.Rule);
        Assert.True(SuspectedEvasion.IsTamper(lead));
        Assert.Equal(RuleBench.Utc(Day.AddHours(13).AddMinutes(55)) / 60, lead.StartMinute);
        Assert.Equal(RuleBench.Utc(Day.AddHours(13).AddMinutes(59)) / 60, lead.EndMinute);
        Assert.Contains(bench.Alerts, a => a.Rule == "monitor.tamper");
    }

    [Fact]
    public void A_construction_sites_tamper_event_is_never_an_evasion_lead()
    {
        var (bench, _) = Kitchen(SiteKind.Dust);
        Tamper(bench, Day.AddHours(11));
        Assert.Single(bench.Alerts);
        Assert.Empty(bench.AllLeads);
    }

    [Fact]
    public void A_kitchen_without_recorded_hours_is_watched_all_day_as_the_silence_watch_does()
    {
        var bench = new RuleBench(new DateTimeOffset(Day, TimeSpan.FromHours(8)));
        bench.Site("R1", SiteKind.Fume, null, "GW1"); // no business hours
        Tamper(bench, Day.AddHours(3));
        Assert.Equal(SuspectedEvasion.RuleId, Assert.Single(bench.Leads).Rule);
    }

    [Fact]
    public void Before_commissioning_the_lead_is_shown_never_pursued()
    {
        var (bench, _) = Kitchen(commissioned: false);
        Tamper(bench, Day.AddHours(12));
        Assert.Equal(LeadStatus.NotCommissioned, Assert.Single(bench.Leads).Status);
    }

    [Fact]
    public void Business_hours_may_run_past_midnight_in_the_sites_local_time()
    {
        var (bench, _) = Kitchen(hours: ("18:00", "02:00"));
        Tamper(bench, Day.AddHours(1).AddMinutes(59)); // 01:59 local is 17:59 UTC the day before: still open
        Tamper(bench, Day.AddHours(2).AddMinutes(30));
        Assert.Single(bench.AllLeads);
        Assert.Equal(RuleBench.Utc(Day.AddHours(1).AddMinutes(59)) / 60, bench.AllLeads[0].StartMinute);
    }
}
