using DocumentFormat.OpenXml.Packaging;
using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.Cases;
using Iot.Fleet.Complaints;
using Iot.Fleet.Reports;
using Iot.Fleet.Telemetry;
using Iot.Fleet.Tests.Cases;
using Iot.Fleet.Tests.Reports;
using Xunit;

namespace Iot.Fleet.Tests.Complaints;

/// <summary>The complaints register over a database on a moved clock: answers on time, late, by a case's feedback and none,
/// counted by the monthly report in the bureau's month, compared with the month before and a year before, and written to the
/// xlsx cell by cell. LoopDatabase's clock starts at 2026-11-18 11:20 UTC (19:20 in Beijing).</summary>
public sealed class ComplaintReportTests : IDisposable
{
    private readonly LoopDatabase _db = new();
    private readonly ComplaintRegister _complaints;
    private readonly AuditLog _audit;

    public ComplaintReportTests()
    {
        _complaints = new ComplaintRegister(_db.Database, _db.Clock);
        _audit = new AuditLog(_db.Database, _db.Clock);
        _db.AddSite("R-1", "G-1");
        _db.AddSite("C-1", "G-2", SiteKind.Noise);
    }

    public void Dispose() => _db.Dispose();

    private static DateTimeOffset Utc(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    private ComplaintView Receive(string receivedAt, string channel, string kind, string? site = "R-1", long? lead = null) =>
        _complaints.Add(new ComplaintRequest(Utc(receivedAt), channel, kind, site, site is null ? "文三路 1 号" : null, "油烟熏到楼上住户", "138 0000 0000", lead),
            AuditScope.ForSystem(_audit, "li.wei", "complaint.create"));

    private ComplaintView Answer(long id, string answeredAt, string channel = "phone") =>
        _complaints.Answer(id, new AnswerRequest(Utc(answeredAt), null, channel, "已派员核查并答复"), AuditScope.ForSystem(_audit, "li.wei", "complaint.answer"));

    /// <summary>November 2026 in Beijing: five complaints. One came in at 00:30 on 1 November (still October in UTC) and was
    /// answered exactly 7 days later (on time), one answered after 9 days (late), one through the case's feedback to the
    /// complainant, two never; one at 00:30 on 1 December belongs to December. October: two, one answered on time. November
    /// 2025: one, answered on time.</summary>
    private MonthlyReportView November()
    {
        var start = _db.Clock.Now;
        _db.Clock.Now = Utc("2025-11-20T00:00:00Z");
        Answer(Receive("2025-11-10T02:00:00Z", "phone", "noise").Id, "2025-11-11T02:00:00Z");
        _db.Clock.Now = Utc("2026-10-20T00:00:00Z");
        Answer(Receive("2026-10-05T02:00:00Z", "hotline_12345", "fume").Id, "2026-10-06T02:00:00Z");
        Receive("2026-10-07T02:00:00Z", "online", "dust");

        _db.Clock.Now = Utc("2026-11-17T12:00:00Z");
        var onTime = Receive("2026-10-31T16:30:00Z", "hotline_12345", "fume");
        Answer(onTime.Id, "2026-11-07T16:30:00Z");
        var late = Receive("2026-11-03T01:00:00Z", "hotline_12345", "noise", "C-1");
        Answer(late.Id, "2026-11-12T01:00:01Z", "letter");
        Receive("2026-11-10T03:00:00Z", "petition", "dust", site: null);
        var lead = _db.RaiseLead("R-1");
        var byCase = Receive("2026-11-17T11:00:00Z", "online", "fume", lead: lead.Id);
        _db.Cases.Acknowledge(lead.Id, "centre", null, null);
        _db.Clock.Now = start;
        _db.Cases.Feedback(lead.Id, "party", "已责令经营者整改", "li.wei", null);
        Assert.Null(_complaints.Get(byCase.Id, withContact: false)!.Answer); // feedback to the party answers no complaint
        _db.Cases.Feedback(lead.Id, CaseRules.ComplainantChannel, "经查属实，已责令整改", "li.wei", null);

        _db.Clock.Now = Utc("2026-12-02T00:00:00Z");
        Receive("2026-11-30T15:59:00Z", "phone", "other");
        Receive("2026-11-30T16:30:00Z", "walk_in", "noise", "C-1");
        return new MonthlyReport(_db.Database, _db.Clock).Build("2026-11");
    }

    [Fact]
    public void The_month_counts_complaints_by_the_bureaus_day_answered_on_time_late_and_not_and_compares_them()
    {
        var report = November();
        var c = report.Complaints!;
        Assert.Equal((5L, 3L, 2L), (c.All.Received, c.All.Answered, c.All.AnsweredOnTime));
        Assert.Equal((0.6, 0.4), (c.All.AnswerRate, c.All.OnTimeRate));
        Assert.Equal(7, c.AnswerDays);
        Assert.Equal([("hotline_12345", 2L, 2L, 1L), ("petition", 1L, 0L, 0L), ("online", 1L, 1L, 1L), ("phone", 1L, 0L, 0L), ("walk_in", 0L, 0L, 0L)],
            c.Channels.Select(n => (n.Key!, n.Received, n.Answered, n.AnsweredOnTime)));
        Assert.Null(c.Channels.Single(n => n.Key == "walk_in").AnswerRate);
        Assert.Equal([("fume", 2L, 2L, 2L), ("noise", 1L, 1L, 0L), ("dust", 1L, 0L, 0L), ("other", 1L, 0L, 0L)],
            c.Kinds.Select(n => (n.Key!, n.Received, n.Answered, n.AnsweredOnTime)));

        Assert.Equal((5L, 3L, 2L), (report.Figures!.Complaints, report.Figures.ComplaintsAnswered, report.Figures.ComplaintsOnTime));
        Assert.Equal((2L, 1L, 1L, 0.5), (report.PreviousMonth!.Complaints, report.PreviousMonth.ComplaintsAnswered, report.PreviousMonth.ComplaintsOnTime,
            report.PreviousMonth.ComplaintAnswerRate!.Value));
        Assert.Equal((1L, 1.0, 1.0), (report.YearBefore!.Complaints, report.YearBefore.ComplaintAnswerRate!.Value, report.YearBefore.ComplaintOnTimeRate!.Value));
        var december = new MonthlyReport(_db.Database, _db.Clock).Build("2026-12").Complaints!;
        Assert.Equal((1L, 0L), (december.All.Received, december.All.Answered));
    }

    [Fact]
    public void A_case_feedback_to_the_complainant_answers_the_linked_complaint_once_and_says_so_in_the_case()
    {
        November();
        var byCase = _complaints.All().Single(c => c.Lead is not null);
        Assert.Equal((ComplaintRules.CaseFeedback, "li.wei", "经查属实，已责令整改", true),
            (byCase.Answer!.Channel, byCase.Answer.By, byCase.Answer.Text, byCase.Answer.OnTime));
        var feedback = _db.Cases.Get(byCase.Lead!.Value).History!.Last(h => h.Step == "feedback");
        Assert.Equal(byCase.Id, (long)feedback.Data!["complaints_answered"]![0]!);
        // Answered once: a later feedback changes nothing, and the register refuses a second answer.
        _db.Cases.Feedback(byCase.Lead.Value, CaseRules.ComplainantChannel, "再次回访", "wang.fang", null);
        Assert.Equal("经查属实，已责令整改", _complaints.Get(byCase.Id, withContact: false)!.Answer!.Text);
        var again = Assert.Throws<RefusalException>(() => Answer(byCase.Id, "2026-12-01T00:00:00Z"));
        Assert.Equal(409, again.Status);
    }

    [Fact]
    public void A_complaint_shows_its_due_day_and_is_overdue_only_while_unanswered_past_it()
    {
        var complaint = Receive("2026-11-10T03:00:00Z", "petition", "dust");
        Assert.Equal(Utc("2026-11-17T03:00:00Z").UtcDateTime, complaint.AnswerDue);
        Assert.True(complaint.Overdue); // the clock is at 18 November
        Assert.Equal("138 0000 0000", complaint.Contact);
        Assert.Null(_complaints.All().Single().Contact);
        Assert.True(_complaints.All().Single().HasContact);
        var answered = Answer(complaint.Id, "2026-11-18T00:00:00Z");
        Assert.Equal((false, false), (answered.Overdue, answered.Answer!.OnTime));
        var before = Assert.Throws<RefusalException>(() => Answer(Receive("2026-11-18T10:00:00Z", "phone", "noise").Id, "2026-11-18T09:59:00Z"));
        Assert.Contains("before the complaint came in", before.Message);
    }

    [Fact]
    public void The_xlsx_has_the_complaints_by_channel_and_kind_and_the_headline_rows_cell_by_cell()
    {
        var report = November();
        using var workbook = SpreadsheetDocument.Open(new MemoryStream(TableDownload.Xlsx(MonthlyTables.Of(report))), false);
        var sheets = ReportDownloadTests.Sheets(workbook);
        Assert.Equal(
        [
            ["渠道", "收到", "已答复", "按时答复", "未答复", "答复率（%）", "按时答复率（%，7 日内）"],
            ["12345 热线", "2", "2", "1", "0", "100", "50"],
            ["信访（来信来访）", "1", "0", "0", "1", "0", "0"],
            ["网络、微信", "1", "1", "1", "0", "100", "100"],
            ["来电（执法局电话）", "1", "0", "0", "1", "0", "0"],
            ["当面投诉", "0", "0", "0", "0", "", ""],
            ["合计", "5", "3", "2", "2", "60", "40"],
        ], sheets["投诉举报（渠道）"]);
        Assert.Equal(
        [
            ["投诉类型", "收到", "已答复", "按时答复", "未答复", "答复率（%）", "按时答复率（%，7 日内）"],
            ["餐饮油烟", "2", "2", "2", "0", "100", "100"],
            ["工地噪声", "1", "1", "0", "0", "100", "0"],
            ["工地扬尘", "1", "0", "0", "1", "0", "0"],
            ["其他", "1", "0", "0", "1", "0", "0"],
            ["合计", "5", "3", "2", "2", "60", "40"],
        ], sheets["投诉举报（类型）"]);
        var summary = sheets["概况"].ToDictionary(r => r[0]);
        Assert.Equal(["投诉举报", "5", "2", "150", "1", "400"], summary["投诉举报"]);
        Assert.Equal(["投诉举报已答复", "3", "1", "200", "1", "200"], summary["投诉举报已答复"]);
        Assert.Equal(["投诉举报按时答复", "2", "1", "100", "1", "100"], summary["投诉举报按时答复"]);
        Assert.Equal(["投诉举报答复率（%）", "60", "50", "20", "100", "-40"], summary["投诉举报答复率（%）"]);
        Assert.Equal(["投诉举报按时答复率（%）", "40", "50", "-20", "100", "-60"], summary["投诉举报按时答复率（%）"]);
    }

    [Fact]
    public void The_complaints_register_has_no_contact_and_says_how_each_was_answered()
    {
        November();
        var table = new RegisterTables(_db.Database, _db.Registry, new Iot.Fleet.Registry.PartyRegister(_db.Database), _complaints).Of("complaints");
        Assert.Equal("投诉举报台账", table.Sheet);
        Assert.DoesNotContain(table.Rows.SelectMany(r => r), v => v is string s && s.Contains("138 0000 0000"));
        int At(string header) => table.Headers.ToList().IndexOf(header);
        Assert.Equal(9, table.Rows.Count);
        var late = table.Rows.Single(r => r[At("答复方式")] is "书面答复");
        Assert.Equal(("C-1", "否", "是", "2026-11-03 09:00"), (late[At("点位编号")], late[At("按时答复")], late[At("留有联系方式")], late[At("收到时间")]));
        Assert.Equal("超期未答复", table.Rows.Single(r => r[At("渠道")] is "信访（来信来访）")[At("按时答复")]);
        Assert.Equal("案件反馈（投诉举报人）", table.Rows.Single(r => r[At("线索编号")] is not null)[At("答复方式")]);
    }
}
