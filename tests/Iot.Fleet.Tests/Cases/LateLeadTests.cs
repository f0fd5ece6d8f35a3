using Dapper;
using Iot.Fleet.Cases;
using Iot.Fleet.Notifications;
using Iot.Fleet.Reports;
using Iot.Fleet.Rules;
using Xunit;

namespace Iot.Fleet.Tests.Cases;

/// <summary>The 30-minute clock is for live leads: a late lead (raised from backfilled records, long after its first
/// breaching window) gets a review deadline instead, is never overdue on the arrival clock, and never counts as a
/// missed response. Over a temp database (real SQLite) on a clock the test moves.</summary>
public sealed class LateLeadTests : IDisposable
{
    private readonly LoopDatabase _db = new(new NotificationTarget { Name = "hook", Kind = TargetKinds.Webhook, Url = "http://127.0.0.1:9/hook" });

    public LateLeadTests()
    {
        _db.AddSite("R-1", "G-1");
        _db.Squads.Save(new Squad("SQ-EAST", "东区中队 East squad", ["G-1"], ["li.wei"]));
    }

    public void Dispose() => _db.Dispose();

    [Fact]
    public void A_late_lead_has_a_review_deadline_and_is_never_overdue_on_the_30_minute_clock()
    {
        var live = _db.RaiseLead("R-1");
        var late = _db.RaiseLead("R-1", late: true);

        var liveCase = _db.Cases.Get(live.Id);
        Assert.Equal((false, (live.RaisedAt + TimeSpan.FromMinutes(30)).UtcDateTime, (DateTime?)null), (liveCase.Late, liveCase.ResponseDue, liveCase.ReviewDue));
        var lateCase = _db.Cases.Get(late.Id);
        Assert.Equal((true, (DateTime?)null, (late.RaisedAt + TimeSpan.FromHours(24)).UtcDateTime), (lateCase.Late, lateCase.ResponseDue, lateCase.ReviewDue));

        _db.Clock.Now += TimeSpan.FromMinutes(31);
        var overdue = Assert.Single(_db.Cases.DetectOverdue());
        Assert.Equal(live.Id, overdue.Lead);
        Assert.False(_db.Cases.Get(late.Id).Overdue);
        Assert.False(_db.Cases.Get(late.Id).ReviewOverdue);
        Assert.Empty(_db.Cases.Get(late.Id).History!);
        Assert.Equal([live.Id], _db.Cases.Find(new CaseQuery(Overdue: true)).Select(c => c.Lead));
        Assert.Equal([late.Id], _db.Cases.Find(new CaseQuery(Overdue: false)).Select(c => c.Lead));
        Assert.DoesNotContain(_db.Outbox.Find(null), n => n.Event == NotificationEvents.LeadOverdue && n.Subject == $"lead:{late.Id}");

        // Dispatched and reached the next day: still not a missed response; the dispatch names the review deadline.
        _db.Clock.Now += TimeSpan.FromHours(3);
        _db.Cases.Acknowledge(late.Id, "centre", "backfilled from last night; sending a squad to look", null);
        _db.Cases.Dispatch(late.Id, null, "centre", null, null);
        using (var connection = _db.Database.Open())
        {
            var dispatched = connection.ExecuteScalar<string>("SELECT data FROM notification_events WHERE key = @key",
                new { key = $"{NotificationEvents.LeadDispatched}:{late.Id}:1" })!;
            Assert.Contains("review_due", dispatched);
            Assert.DoesNotContain("response_due", dispatched);
        }
        _db.Clock.Now += TimeSpan.FromHours(20);
        var visited = _db.Cases.Result(late.Id, CaseStatus.NoViolation, "purifier running now", null, "li.wei", null);
        Assert.False(visited.Overdue);
        Assert.False(visited.ReviewOverdue); // reviewed (acknowledged) 3 h after it was raised
        Assert.Empty(_db.Cases.DetectOverdue());
    }

    [Fact]
    public void A_late_lead_nobody_reviews_in_time_is_review_overdue_and_the_hours_are_the_bureaus()
    {
        _db.LoopOptions.ReviewHours = 8;
        _db.Reopen();
        var late = _db.RaiseLead("R-1", late: true);
        Assert.Equal((late.RaisedAt + TimeSpan.FromHours(8)).UtcDateTime, _db.Cases.Get(late.Id).ReviewDue);
        _db.Clock.Now += TimeSpan.FromHours(7);
        Assert.False(_db.Cases.Get(late.Id).ReviewOverdue);
        _db.Clock.Now += TimeSpan.FromHours(2);
        var waiting = _db.Cases.Get(late.Id);
        Assert.True(waiting.ReviewOverdue);
        Assert.False(waiting.Overdue);
        Assert.True(_db.Cases.Acknowledge(late.Id, "centre", null, null).ReviewOverdue); // reviewed after the deadline: stays so
    }

    [Fact]
    public void The_monthly_report_never_counts_a_late_lead_as_a_missed_response()
    {
        var report = new MonthlyReport(_db.Database, _db.Clock);
        var live = _db.RaiseLead("R-1");
        var late = _db.RaiseLead("R-1", late: true);
        foreach (var lead in new[] { live, late })
        {
            _db.Cases.Acknowledge(lead.Id, "centre", null, null);
            _db.Cases.Dispatch(lead.Id, null, "centre", null, null);
        }
        _db.Clock.Now += TimeSpan.FromMinutes(20);
        _db.Cases.Result(live.Id, CaseStatus.NoViolation, "in time", null, "li.wei", null);
        _db.Clock.Now += TimeSpan.FromHours(5);
        _db.Cases.Result(late.Id, CaseStatus.NoViolation, "the next morning", null, "li.wei", null);

        var east = Assert.Single(report.Build("2026-11").Squads);
        Assert.Equal((2L, 1L, 1L), (east.Dispatched, east.Backfilled, east.RespondedInTime));
        Assert.Equal(1.0, east.ResponseRate); // over the live lead only
    }
}
