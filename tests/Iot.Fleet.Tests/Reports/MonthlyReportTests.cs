using Iot.Fleet.Api;
using Iot.Fleet.Cases;
using Iot.Fleet.Leads;
using Iot.Fleet.Registry;
using Iot.Fleet.Reports;
using Iot.Fleet.Rules;
using Iot.Fleet.Telemetry;
using Iot.Fleet.Tests.Cases;
using Xunit;

namespace Iot.Fleet.Tests.Reports;

/// <summary>The monthly report's counts and the squads' rates, over a temp database on a clock the test moves.
/// LoopDatabase starts at 2026-11-18 11:20 UTC (19:20 in Shanghai); a lead it raises began 20 minutes earlier.</summary>
public sealed class MonthlyReportTests : IDisposable
{
    private readonly LoopDatabase _db = new();
    private readonly MonthlyReport _report;

    public MonthlyReportTests()
    {
        _report = new MonthlyReport(_db.Database, _db.Clock);
        _db.AddSite("R-1", "G-1");
        _db.AddSite("R-2", "G-1");
        _db.AddSite("C-1", "G-2", SiteKind.Noise);
        _db.Squads.Save(new Squad("SQ-EAST", "东区中队", ["G-1"], []));
        _db.Squads.Save(new Squad("SQ-WEST", "西区中队", ["G-2"], []));
    }

    public void Dispose() => _db.Dispose();

    [Fact]
    public void Counts_the_months_enforcement_leads_by_rule_grid_site_and_local_hour()
    {
        _db.RaiseLead("R-1");
        _db.RaiseLead("R-1", rule: "fume.purifier_off");
        _db.RaiseLead("R-2");
        _db.RaiseLead("C-1", rule: "noise.night_leq", value: 60, limit: 55);
        _db.RaiseLead("R-2", status: LeadStatus.NotCommissioned); // shown, never an enforcement lead
        RaiseAlert("R-1");
        _db.Clock.Now = new DateTimeOffset(2026, 11, 30, 16, 30, 0, TimeSpan.Zero); // 12-01 00:30 in Shanghai, began 00:10: December
        _db.RaiseLead("R-1");
        _db.Clock.Now = new DateTimeOffset(2026, 10, 31, 16, 20, 0, TimeSpan.Zero); // began 11-01 00:00 in Shanghai: November
        _db.RaiseLead("C-1", rule: "noise.night_leq", value: 60, limit: 55);

        var report = _report.Build("2026-11");

        Assert.Equal(5, report.Leads);
        Assert.Equal(new DateTime(2026, 10, 31, 16, 0, 0, DateTimeKind.Utc), report.From);
        Assert.Equal(new DateTime(2026, 11, 30, 16, 0, 0, DateTimeKind.Utc), report.To);
        Assert.Equal([("fume.concentration", 2L), ("noise.night_leq", 2L), ("fume.purifier_off", 1L)], report.Rules.Select(r => (r.Key!, r.Count)));
        Assert.Equal([("G-1", 3L), ("G-2", 2L)], report.Grids.Select(g => (g.Key!, g.Count)));
        Assert.Equal([("C-1", 2L), ("R-1", 2L), ("R-2", 1L)], report.Sites.Select(s => (s.Key!, s.Count)));
        Assert.Equal("Site R-1", report.Sites.Single(s => s.Key == "R-1").Name);
        Assert.Equal(24, report.Hours.Count);
        Assert.Equal(4, report.Hours[19]);
        Assert.Equal(1, report.Hours[0]);
        Assert.Equal(5, report.Hours.Sum());
        Assert.Equal(5, report.NotDispatched);
        Assert.Empty(report.Squads);
        Assert.Equal(1, _report.Build("2026-12").Leads);
        Assert.Equal(0, _report.Build("2026-10").Leads);
    }

    [Fact]
    public void Ranks_squads_on_response_in_time_handling_and_rectification()
    {
        // East: a case handled in time and rectified, one reached late and dismissed, one still with the squad.
        var rectified = _db.RaiseLead("R-1");
        var late = _db.RaiseLead("R-2");
        var waiting = _db.RaiseLead("R-1");
        var west = _db.RaiseLead("C-1", rule: "noise.night_leq", value: 60, limit: 55);
        _db.RaiseLead("R-2"); // nobody has dispatched it yet
        foreach (var lead in new[] { rectified, late, waiting, west })
        {
            _db.Cases.Acknowledge(lead.Id, "centre", null, null);
            _db.Cases.Dispatch(lead.Id, null, "centre", null, null);
        }
        _db.Clock.Now += TimeSpan.FromMinutes(20);
        _db.Cases.Result(rectified.Id, CaseStatus.ViolationFound, "purifier off", null, "li.wei", null);
        _db.Cases.Deadline(rectified.Id, _db.Clock.Now.AddDays(2), null, "li.wei", null);
        _db.Cases.Result(west.Id, CaseStatus.ViolationFound, "night piling", null, "wang.fang", null);
        _db.Cases.Verify(west.Id, "photos seen", "li.wei", null); // by someone else (Cases: independent verification)
        _db.Cases.Close(west.Id, CaseStatus.Confirmed, null, null, "wang.fang", null);
        _db.Clock.Now += TimeSpan.FromMinutes(25);
        _db.Cases.Result(late.Id, CaseStatus.NoViolation, "kitchen closed", null, "li.wei", null);
        _db.Cases.Close(late.Id, CaseStatus.Dismissed, "no_violation_on_site", null, "li.wei", null);
        _db.Clock.Now += TimeSpan.FromDays(2);
        _db.Cases.Recheck(rectified.Id, CaseStatus.Rectified, "filter cleaned", "li.wei", null);
        _db.Cases.Verify(rectified.Id, "filter seen", "wang.fang", null);
        _db.Cases.Close(rectified.Id, CaseStatus.Confirmed, null, null, "li.wei", null);

        var report = _report.Build("2026-11");

        Assert.Equal(1, report.NotDispatched);
        var east = report.Squads[0];
        Assert.Equal(("SQ-EAST", "东区中队"), (east.Squad, east.Name));
        Assert.Equal((3L, 1L, 2L, 1L, 1L, 1L, 1L), (east.Dispatched, east.RespondedInTime, east.Closed, east.Confirmed, east.Dismissed, east.RectifyOrdered, east.Rectified));
        Assert.Equal(0.3333, east.ResponseRate);
        Assert.Equal(0.6667, east.HandlingRate);
        Assert.Equal(1.0, east.RectificationRate);
        var westSquad = report.Squads[1];
        Assert.Equal(("SQ-WEST", 1L, 1L, 1L, 1L), (westSquad.Squad, westSquad.Dispatched, westSquad.RespondedInTime, westSquad.Closed, westSquad.Confirmed));
        Assert.Null(westSquad.RectificationRate); // nothing to rectify is not 0 %
    }

    [Theory]
    [InlineData("2026-13")]
    [InlineData("2026/11")]
    [InlineData("november")]
    public void Refuses_a_month_of_another_shape(string month) => Assert.Equal(400, Assert.Throws<RefusalException>(() => _report.Build(month)).Status);

    [Fact]
    public void The_sites_overview_counts_open_leads_and_lists_devices_with_their_squad()
    {
        _db.Registry.AddDevice("GW-1", "R-1");
        var open = _db.RaiseLead("R-1");
        var closed = _db.RaiseLead("R-1");
        _db.Cases.Acknowledge(closed.Id, "li.wei", null, null);
        _db.Cases.Close(closed.Id, CaseStatus.Dismissed, "duplicate", null, "centre", null); // two people (ClosedLoopOptions)
        _db.Cases.Acknowledge(open.Id, "centre", null, null);

        var sites = _report.Sites().ToDictionary(s => s.Id);

        Assert.Equal(["C-1", "R-1", "R-2"], sites.Keys.Order());
        Assert.Equal((1L, 2L, "SQ-EAST"), (sites["R-1"].OpenLeads, sites["R-1"].Leads30d, sites["R-1"].Squad));
        Assert.Equal(("GW-1", "never seen"), (sites["R-1"].Devices.Single().Id, sites["R-1"].Devices.Single().Status));
        Assert.Equal((0L, "SQ-WEST"), (sites["C-1"].OpenLeads, sites["C-1"].Squad));
        Assert.False(sites["R-2"].Commissioned);
    }

    private void RaiseAlert(string site)
    {
        var minute = _db.Clock.Now.ToUnixTimeSeconds() / 60 - 20;
        _db.Leads.Save([new Lead
        {
            Queue = LeadQueue.Integrity, Rule = "monitor.offline", Site = site, Devices = new(StringComparer.Ordinal) { "GW-1" }, StartMinute = minute,
            EndMinute = minute, WindowMinutes = 30, Value = 30, Limit = 30, Unit = "min", RaisedAt = _db.Clock.Now, UpdatedAt = _db.Clock.Now,
        }]);
    }
}
