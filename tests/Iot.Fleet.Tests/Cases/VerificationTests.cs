using Iot.Fleet.Api;
using Iot.Fleet.Cases;
using Iot.Fleet.Notifications;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Iot.Fleet.Tests.Cases;

/// <summary>Independent verification (核查) over a temp database: who may verify under `ClosedLoop:Verification`, a new
/// result needing a new verification, and the check-in radius from configuration.</summary>
public sealed class VerificationTests : IDisposable
{
    private readonly LoopDatabase _db = new(new NotificationTarget { Name = "hook", Kind = TargetKinds.Webhook, Url = "http://127.0.0.1:9/hook" });

    public VerificationTests()
    {
        _db.AddSite("R-1", "G-1");
        _db.Squads.Save(new Squad("SQ-EAST", "东区中队 East squad", ["G-1"], ["li.wei", "zhao.min"]));
    }

    public void Dispose() => _db.Dispose();

    [Fact]
    public void By_default_anyone_but_who_recorded_the_result_or_re_check_verifies_and_a_later_step_needs_a_new_verification()
    {
        var lead = Found();
        Assert.Equal(403, Assert.Throws<RefusalException>(() => _db.Cases.Verify(lead, "mine", "li.wei", null)).Status);
        Assert.Equal(400, Assert.Throws<RefusalException>(() => _db.Cases.Verify(lead, " ", "zhao.min", null)).Status);
        Assert.Equal("zhao.min", _db.Cases.Verify(lead, "photos seen", "zhao.min", null).Verification!.By); // same squad: allowed by default

        _db.Cases.Deadline(lead, _db.Clock.Now.AddDays(2), null, "li.wei", null);
        _db.Clock.Now += TimeSpan.FromDays(2);
        var rechecked = _db.Cases.Recheck(lead, CaseStatus.Rectified, "done", "zhao.min", null);
        Assert.Null(rechecked.Verification); // what was verified is not what is closed now
        Assert.Equal(409, Assert.Throws<RefusalException>(() => _db.Cases.Close(lead, CaseStatus.Confirmed, null, null, "chief", null)).Status);
        // Who re-checked may not verify either, nor who found the violation.
        Assert.Equal(403, Assert.Throws<RefusalException>(() => _db.Cases.Verify(lead, "x", "zhao.min", null)).Status);
        Assert.Equal(403, Assert.Throws<RefusalException>(() => _db.Cases.Verify(lead, "x", "li.wei", null)).Status);
        _db.Cases.Verify(lead, "re-check photos seen", "chief", null);
        Assert.Equal(CaseStatus.Confirmed, _db.Cases.Close(lead, CaseStatus.Confirmed, null, null, "li.wei", null).Status);
    }

    [Fact]
    public void With_verification_by_another_squad_a_member_of_the_handling_squad_may_not_verify()
    {
        _db.LoopOptions.Verification = VerificationRule.Squad;
        _db.Reopen();
        var lead = Found();
        var refused = Assert.Throws<RefusalException>(() => _db.Cases.Verify(lead, "photos seen", "zhao.min", null));
        Assert.Equal(403, refused.Status);
        Assert.Contains("squad SQ-EAST", refused.Message);
        Assert.Null(_db.Cases.Get(lead).Verification);
        _db.Squads.Save(new Squad("SQ-WEST", "西区中队 West squad", ["G-9"], ["wu.lei"]));
        Assert.Equal("wu.lei", _db.Cases.Verify(lead, "photos seen", "wu.lei", null).Verification!.By);
    }

    [Fact]
    public void The_check_in_radius_comes_from_configuration_and_the_accuracy_widens_it()
    {
        _db.LoopOptions.CheckInRadiusMeters = 50;
        _db.Reopen();
        _db.Registry.AddSite(new Iot.Fleet.Registry.Site("R-GEO", "Site R-GEO", Iot.Fleet.Telemetry.SiteKind.Fume, "Asia/Shanghai", "G-1", "default", [], 30.0, 120.0));
        var near = Dispatched("R-GEO");
        var view = _db.Cases.CheckIn(near, new ArrivalFix(30.0009, 120.0, 5), null, null, "li.wei", null).CheckIn!; // ~100 m
        Assert.True(view.Far);
        var sure = Dispatched("R-GEO");
        Assert.False(_db.Cases.CheckIn(sure, new ArrivalFix(30.0009, 120.0, 60), null, null, "li.wei", null).CheckIn!.Far); // 100 < 50 + 60
        var unplaced = Dispatched("R-1"); // no coordinates: no distance, not flagged
        var unknown = _db.Cases.CheckIn(unplaced, new ArrivalFix(30.0009, 120.0, 5), null, null, "li.wei", null).CheckIn!;
        Assert.Equal((null, false), (unknown.DistanceM, unknown.Far));
    }

    [Fact]
    public void Only_a_member_of_the_squad_the_case_went_to_checks_in_for_it()
    {
        var lead = Dispatched("R-1");
        var refused = Assert.Throws<RefusalException>(() => _db.Cases.CheckIn(lead, new ArrivalFix(30.0, 120.0, 10), null, null, "wu.lei", null));
        Assert.Equal(403, refused.Status);
        Assert.Contains("squad SQ-EAST", refused.Message);
        Assert.Null(_db.Cases.Get(lead).CheckIn);
        Assert.Equal("zhao.min", _db.Cases.CheckIn(lead, new ArrivalFix(30.0, 120.0, 10), null, null, "zhao.min", null).CheckIn!.By);
    }

    [Fact]
    public void A_wrong_verification_rule_or_radius_stops_the_start_with_the_key_to_fix()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ClosedLoop:CheckInRadiusMeters"] = "0",
        }).Build());
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddClosedLoop();
        var failure = Assert.Throws<OptionsValidationException>(() => services.BuildServiceProvider().GetRequiredService<IOptions<ClosedLoopOptions>>().Value);
        Assert.Contains(failure.Failures, f => f.Contains("ClosedLoop:CheckInRadiusMeters"));
        Assert.Equal(VerificationRule.Squad, Bound("Squad").Verification);
        Assert.Throws<InvalidOperationException>(() => Bound("Nobody"));
    }

    private static ClosedLoopOptions Bound(string rule)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ClosedLoop:Verification"] = rule }).Build());
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddClosedLoop();
        return services.BuildServiceProvider().GetRequiredService<IOptions<ClosedLoopOptions>>().Value;
    }

    private long Dispatched(string site)
    {
        var lead = _db.RaiseLead(site, value: 6.0);
        _db.Cases.Acknowledge(lead.Id, "centre", null, null);
        _db.Cases.Dispatch(lead.Id, "SQ-EAST", "centre", null, null);
        return lead.Id;
    }

    private long Found()
    {
        var lead = Dispatched("R-1");
        _db.Cases.Result(lead, CaseStatus.ViolationFound, "purifier off", null, "li.wei", null);
        return lead;
    }
}
