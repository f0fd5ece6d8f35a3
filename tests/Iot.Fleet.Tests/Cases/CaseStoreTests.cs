using Iot.Fleet.Api;
using Iot.Fleet.Cases;
using Iot.Fleet.Leads;
using Iot.Fleet.Notifications;
using Iot.Fleet.Rules;
using Xunit;

namespace Iot.Fleet.Tests.Cases;

/// <summary>The closed loop's state machine over a temp database: transitions, history, notice first, the response timer
/// (margins, overrides and letters in NoticeFirstTests, backfilled leads in LateLeadTests).</summary>
public sealed class CaseStoreTests : IDisposable
{
    private readonly LoopDatabase _db = new(new NotificationTarget { Name = "hook", Kind = TargetKinds.Webhook, Url = "http://127.0.0.1:9/hook" });

    public CaseStoreTests()
    {
        _db.AddSite("R-1", "G-1");
        _db.AddSite("R-2", "G-2");
        _db.Squads.Save(new Squad("SQ-EAST", "东区中队 East squad", ["G-1"], ["li.wei"]));
    }

    public void Dispose() => _db.Dispose();

    [Fact]
    public void A_case_keeps_its_state_when_the_engine_extends_the_episode()
    {
        var lead = _db.RaiseLead("R-1");
        _db.Cases.Acknowledge(lead.Id, "li.wei", null, null);
        _db.Cases.Dispatch(lead.Id, null, "li.wei", null, null);

        // The rules engine grows the episode: it saves its in-memory lead again, status and all.
        lead.EndMinute += 5;
        lead.Value = 3.4;
        lead.UpdatedAt = _db.Clock.Now;
        Assert.Empty(_db.Leads.Save([lead]));

        var stored = _db.Leads.Get(lead.Id)!;
        Assert.Equal(LeadStatus.New, stored.Status);
        Assert.Equal(lead.EndMinute, stored.EndMinute);
        var view = _db.Cases.Get(lead.Id);
        Assert.Equal(CaseStatus.Dispatched, view.Status);
        Assert.Equal("SQ-EAST", view.Squad);
        Assert.Equal(["acknowledge", "dispatch"], view.History!.Select(h => h.Step));
    }

    [Fact]
    public void A_violation_goes_through_deadline_and_recheck_to_confirmed_with_who_and_when()
    {
        var lead = _db.RaiseLead("R-1", value: 3.0, limit: 2.0);
        Assert.Equal(CaseStatus.Open, _db.Cases.Get(lead.Id).Status);
        _db.Clock.Now += TimeSpan.FromMinutes(2);
        _db.Cases.Acknowledge(lead.Id, "centre", "seen", null);
        _db.Cases.Dispatch(lead.Id, null, "centre", null, null);
        _db.Clock.Now += TimeSpan.FromMinutes(20);
        var found = _db.Cases.Result(lead.Id, CaseStatus.ViolationFound, "purifier off, fan on", null, "li.wei", null);
        Assert.Equal(CaseStatus.ViolationFound, found.Status); // 50 % over the limit: not minor
        Assert.False(found.Notice);
        Assert.False(found.Overdue);
        Assert.Equal((_db.Clock.Now).UtcDateTime, found.RespondedAt);
        Assert.Equal((lead.RaisedAt + TimeSpan.FromMinutes(30)).UtcDateTime, found.ResponseDue);
        _db.Cases.Deadline(lead.Id, _db.Clock.Now.AddDays(3), "clean the filter", "li.wei", null);
        _db.Clock.Now += TimeSpan.FromDays(3);
        _db.Cases.Recheck(lead.Id, CaseStatus.Rectified, "filter cleaned", "li.wei", null);
        var verifying = Assert.Throws<RefusalException>(() => _db.Cases.Close(lead.Id, CaseStatus.Confirmed, null, null, "chief", null));
        Assert.Equal((409, true), (verifying.Status, verifying.Message.Contains("not verified")));
        _db.Cases.Verify(lead.Id, "photos of the cleaned filter seen", "chief", null);
        var closed = _db.Cases.Close(lead.Id, CaseStatus.Confirmed, null, "penalty decision 2025-17", "chief", null);

        Assert.Equal(CaseStatus.Confirmed, closed.Status);
        Assert.Equal(_db.Clock.Now.UtcDateTime, closed.ClosedAt);
        Assert.Equal(["acknowledge", "dispatch", "result", "deadline", "recheck", "verify", "close"], closed.History!.Select(h => h.Step));
        Assert.Equal(["centre", "centre", "li.wei", "li.wei", "li.wei", "chief", "chief"], closed.History!.Select(h => h.By));
        Assert.Equal([CaseStatus.Open, CaseStatus.Acknowledged, CaseStatus.Dispatched, CaseStatus.ViolationFound, CaseStatus.Rectifying, CaseStatus.Rectified,
                CaseStatus.Rectified],
            closed.History!.Select(h => h.From));
        Assert.Equal("SQ-EAST", (string)closed.History![1].Data!["squad"]!);
    }

    [Fact]
    public void A_minor_first_breach_gets_a_notice_and_the_next_one_does_not()
    {
        var first = _db.RaiseLead("R-1", value: 2.3, limit: 2.0); // 15 % over
        var noticed = Walk(first.Id);
        Assert.Equal(CaseStatus.Noticed, noticed.Status);
        Assert.True(noticed.Notice);
        Assert.Equal(["acknowledge", "dispatch", "result", "notice"], noticed.History!.Select(h => h.Step));
        _db.Cases.Commitment(first.Id, new CommitmentLetter("张老板 (owner)", null, "承诺三日内清洗净化器", null, null), "li.wei", null);
        _db.Cases.Verify(first.Id, "letter seen", "chief", null);
        Assert.Equal(CaseStatus.Confirmed, _db.Cases.Close(first.Id, CaseStatus.Confirmed, null, "notice served; operator committed", "chief", null).Status);

        _db.Clock.Now += TimeSpan.FromDays(30);
        var second = _db.RaiseLead("R-1", value: 2.3, limit: 2.0);
        Assert.Equal(CaseStatus.ViolationFound, Walk(second.Id).Status); // a confirmed case in the last 12 months

        var elsewhere = _db.RaiseLead("R-2", value: 2.5, limit: 2.0); // 25 % over: not minor even as a first breach
        _db.Cases.Acknowledge(elsewhere.Id, "centre", null, null);
        _db.Cases.Dispatch(elsewhere.Id, "SQ-EAST", "centre", null, null);
        Assert.Equal(CaseStatus.ViolationFound, _db.Cases.Result(elsewhere.Id, CaseStatus.ViolationFound, "smoke", null, "li.wei", null).Status);

        var purifier = _db.RaiseLead("R-2", value: 0, limit: 0.5, rule: "fume.purifier_off"); // deliberate: never minor
        _db.Cases.Acknowledge(purifier.Id, "centre", null, null);
        _db.Cases.Dispatch(purifier.Id, "SQ-EAST", "centre", null, null);
        Assert.Equal(CaseStatus.ViolationFound, _db.Cases.Result(purifier.Id, CaseStatus.ViolationFound, "purifier off", null, "li.wei", null).Status);
    }

    [Fact]
    public void Steps_out_of_order_are_refused_with_409_and_a_clear_message()
    {
        var lead = _db.RaiseLead("R-1");
        var early = Assert.Throws<RefusalException>(() => _db.Cases.Result(lead.Id, CaseStatus.NoViolation, "nothing", null, "x", null));
        Assert.Equal(409, early.Status);
        Assert.Contains("it is open", early.Message);
        Assert.Contains("dispatched", early.Message);
        Assert.Equal(409, Assert.Throws<RefusalException>(() => _db.Cases.Close(lead.Id, CaseStatus.Confirmed, null, null, "x", null)).Status);
        Assert.Equal(409, Assert.Throws<RefusalException>(() => _db.Cases.Dispatch(lead.Id, null, "x", null, null)).Status);
        _db.Cases.Acknowledge(lead.Id, "x", null, null);
        Assert.Equal(409, Assert.Throws<RefusalException>(() => _db.Cases.Acknowledge(lead.Id, "x", null, null)).Status);
        Assert.Equal(400, Assert.Throws<RefusalException>(() => _db.Cases.Close(lead.Id, CaseStatus.Dismissed, null, null, "y", null)).Status);
        Assert.Equal(400, Assert.Throws<RefusalException>(() => _db.Cases.Close(lead.Id, CaseStatus.Dismissed, "other", null, "y", null)).Status);
        var dismissed = _db.Cases.Close(lead.Id, CaseStatus.Dismissed, "device_fault", "probe clogged", "y", null);
        Assert.Equal(CaseStatus.Dismissed, dismissed.Status);
        Assert.Equal("device_fault", dismissed.CloseReason);
        Assert.Equal(409, Assert.Throws<RefusalException>(() => _db.Cases.Close(lead.Id, CaseStatus.Dismissed, "duplicate", null, "y", null)).Status);
        Assert.Equal(404, Assert.Throws<RefusalException>(() => _db.Cases.Acknowledge(99_999, "x", null, null)).Status);

        var unreviewed = _db.RaiseLead("R-1", status: LeadStatus.NotCommissioned);
        Assert.Equal(409, Assert.Throws<RefusalException>(() => _db.Cases.Acknowledge(unreviewed.Id, "x", null, null)).Status);
    }

    [Fact]
    public void Who_raised_the_case_cannot_dismiss_the_lead_when_the_two_person_rule_is_on()
    {
        Assert.True(new ClosedLoopOptions().TwoPersonDismissal); // on unless a bureau turns it off
        var lead = _db.RaiseLead("R-1");
        var unraised = Assert.Throws<RefusalException>(() => _db.Cases.Close(lead.Id, CaseStatus.Dismissed, "duplicate", null, "li.wei", null));
        Assert.Equal(409, unraised.Status);
        Assert.Contains("acknowledge", unraised.Message);

        _db.Cases.Acknowledge(lead.Id, "li.wei", "seen", null);
        _db.Cases.Dispatch(lead.Id, null, "li.wei", null, null);
        var alone = Assert.Throws<RefusalException>(() => _db.Cases.Close(lead.Id, CaseStatus.Dismissed, "device_fault", "probe clogged", "li.wei", null));
        Assert.Equal(403, alone.Status);
        Assert.Contains("two-person rule", alone.Message);
        Assert.Contains("li.wei", alone.Message);
        Assert.Equal(CaseStatus.Dispatched, _db.Cases.Get(lead.Id).Status);

        var dismissed = _db.Cases.Close(lead.Id, CaseStatus.Dismissed, "device_fault", "probe clogged", "chief", null);
        Assert.Equal(CaseStatus.Dismissed, dismissed.Status);
        Assert.Equal(["li.wei", "li.wei", "chief"], dismissed.History!.Select(h => h.By));
    }

    [Fact]
    public void One_person_raises_and_dismisses_when_the_two_person_rule_is_off()
    {
        _db.LoopOptions.TwoPersonDismissal = false;
        _db.Reopen();
        var open = _db.RaiseLead("R-1");
        Assert.Equal(CaseStatus.Dismissed, _db.Cases.Close(open.Id, CaseStatus.Dismissed, "duplicate", null, "li.wei", null).Status);
        var lead = _db.RaiseLead("R-1");
        _db.Cases.Acknowledge(lead.Id, "li.wei", null, null);
        Assert.Equal(CaseStatus.Dismissed, _db.Cases.Close(lead.Id, CaseStatus.Dismissed, "device_fault", null, "li.wei", null).Status);
    }

    [Fact]
    public void Dispatch_goes_to_the_squad_owning_the_grid_or_the_chosen_one()
    {
        var east = _db.RaiseLead("R-1");
        _db.Cases.Acknowledge(east.Id, "x", null, null);
        Assert.Equal("SQ-EAST", _db.Cases.Dispatch(east.Id, null, "x", null, null).Squad);

        var orphan = _db.RaiseLead("R-2"); // grid G-2 has no squad
        _db.Cases.Acknowledge(orphan.Id, "x", null, null);
        var refused = Assert.Throws<RefusalException>(() => _db.Cases.Dispatch(orphan.Id, null, "x", null, null));
        Assert.Equal(409, refused.Status);
        Assert.Contains("G-2", refused.Message);
        Assert.Equal(400, Assert.Throws<RefusalException>(() => _db.Cases.Dispatch(orphan.Id, "SQ-NOPE", "x", null, null)).Status);
        _db.Squads.Save(new Squad("SQ-WEST", "西区中队", ["G-2"], []));
        Assert.Equal("SQ-WEST", _db.Cases.Dispatch(orphan.Id, null, "x", null, null).Squad);
        Assert.Equal("SQ-EAST", _db.Cases.Dispatch(orphan.Id, "SQ-EAST", "x", "west is busy", null).Squad); // re-dispatch

        Assert.Equal(409, Assert.Throws<RefusalException>(() => _db.Squads.Save(new Squad("SQ-NORTH", "北区", ["G-1"], []))).Status);
        Assert.Equal(2, _db.Outbox.Find(null).Count(n => n.Event == NotificationEvents.LeadDispatched && n.Subject == $"lead:{orphan.Id}"));
        Assert.Equal(2, _db.Cases.Find(new CaseQuery(Status: CaseStatus.Dispatched, Squad: "SQ-EAST")).Count);
        Assert.Empty(_db.Cases.Find(new CaseQuery(Squad: "SQ-WEST")));
        Assert.Single(_db.Cases.Find(new CaseQuery(Grid: "G-1")));
    }

    [Fact]
    public void A_lead_nobody_reached_in_30_minutes_is_overdue_once()
    {
        var late = _db.RaiseLead("R-1");
        var onTime = _db.RaiseLead("R-1");
        _db.Cases.Acknowledge(onTime.Id, "x", null, null);
        _db.Cases.Dispatch(onTime.Id, null, "x", null, null);
        _db.Clock.Now += TimeSpan.FromMinutes(25);
        _db.Cases.Result(onTime.Id, CaseStatus.NoViolation, "kitchen closed, purifier running", null, "li.wei", null);
        Assert.Empty(_db.Cases.DetectOverdue());

        _db.Clock.Now += TimeSpan.FromMinutes(6);
        var overdue = Assert.Single(_db.Cases.DetectOverdue());
        Assert.Equal(late.Id, overdue.Lead);
        Assert.True(overdue.Overdue);
        Assert.Equal(CaseStatus.Open, overdue.Status);
        Assert.Equal("overdue", Assert.Single(overdue.History!).Step);
        Assert.Empty(_db.Cases.DetectOverdue());
        Assert.Single(_db.Outbox.Find(null), n => n.Event == NotificationEvents.LeadOverdue);
        Assert.Equal([late.Id], _db.Cases.Find(new CaseQuery(Overdue: true)).Select(c => c.Lead));
        Assert.Equal([onTime.Id], _db.Cases.Find(new CaseQuery(Overdue: false)).Select(c => c.Lead));

        // The squad gets there late: the case stays overdue (responded after the target).
        _db.Cases.Acknowledge(late.Id, "x", null, null);
        _db.Cases.Dispatch(late.Id, null, "x", null, null);
        Assert.True(_db.Cases.Result(late.Id, CaseStatus.NoViolation, "nothing", null, "li.wei", null).Overdue);
    }

    private CaseView Walk(long lead)
    {
        _db.Cases.Acknowledge(lead, "centre", null, null);
        _db.Cases.Dispatch(lead, null, "centre", null, null);
        return _db.Cases.Result(lead, CaseStatus.ViolationFound, "light smoke at the outlet", null, "li.wei", null);
    }
}
