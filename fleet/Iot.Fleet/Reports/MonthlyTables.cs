using Iot.Fleet.Cases;
using Iot.Fleet.Complaints;
using Iot.Fleet.Glossary;

namespace Iot.Fleet.Reports;

/// <summary>The monthly report as tables with the bureau's headers: the headline figures compared month on month and year on
/// year, then one table per count. Rates are percentages (0–100, one decimal).</summary>
public static class MonthlyTables
{
    public static IReadOnlyList<ReportTable> Of(MonthlyReportView report)
    {
        var tables = new List<ReportTable> { Summary(report) };
        tables.Add(new ReportTable("违法类型", ["违法类型", "线索数"], [.. report.Rules.Select(r => new object?[] { BureauWords.RuleZh(r.Key), r.Count })]));
        tables.Add(new ReportTable("网格", ["网格", "线索数"], [.. report.Grids.Select(g => new object?[] { g.Key ?? "（未划网格）", g.Count })]));
        tables.Add(new ReportTable("点位", ["点位编号", "点位名称", "线索数"], [.. report.Sites.Select(s => new object?[] { s.Key, s.Name, s.Count })]));
        tables.Add(new ReportTable("时段", ["时段", "线索数"], [.. report.Hours.Select((c, h) => new object?[] { $"{h:00}:00-{h + 1:00}:00", c })]));
        tables.Add(new ReportTable("中队", ["中队", "派遣", "补传线索", "按时到场", "已结案", "属实", "无效", "责令限期改正", "已整改", "按时到场率（%）", "结案率（%）", "整改率（%）"],
            [.. report.Squads.Select(q => new object?[]
            {
                q.Name ?? q.Squad, q.Dispatched, q.Backfilled, q.RespondedInTime, q.Closed, q.Confirmed, q.Dismissed, q.RectifyOrdered, q.Rectified,
                Percent(q.ResponseRate), Percent(q.HandlingRate), Percent(q.RectificationRate),
            })]));
        tables.Add(new ReportTable("到场用时", ["到场用时（分钟）", "线索数"],
            [.. report.ResponseTimes.Select(r => new object?[] { r.Key == "none" ? "未到场" : r.Key, r.Count })]));
        tables.Add(new ReportTable("无效线索原因", ["原因", "线索数"],
            [.. report.Dismissals.Select(d => new object?[] { CaseRules.DismissReasons.FirstOrDefault(r => r.Id == d.Key)?.Zh ?? d.Key, d.Count })]));
        tables.Add(new ReportTable("夜间施工证明", ["申报", "批准", "不予批准", "撤销", "夜间线索·有证明", "夜间线索·无证明"],
            [[report.Permits.Filed, report.Permits.Approved, report.Permits.Refused, report.Permits.Revoked, report.NightWork.Permitted, report.NightWork.WithoutPermit]]));
        if (report.Complaints is { } c)
        {
            string[] headers = ["收到", "已答复", "按时答复", "未答复", "答复率（%）", $"按时答复率（%，{c.AnswerDays} 日内）"];
            object?[] Row(string name, ComplaintCount n) =>
                [name, n.Received, n.Answered, n.AnsweredOnTime, n.Received - n.Answered, Percent(n.AnswerRate), Percent(n.OnTimeRate)];
            tables.Add(new ReportTable("投诉举报（渠道）", ["渠道", .. headers],
                [.. c.Channels.Select(n => Row(ComplaintRules.ChannelZh(n.Key!), n)), Row("合计", c.All)]));
            tables.Add(new ReportTable("投诉举报（类型）", ["投诉类型", .. headers],
                [.. c.Kinds.Select(n => Row(ComplaintRules.KindZh(n.Key!), n)), Row("合计", c.All)]));
        }
        if (report.Monitoring is { } m)
            tables.Add(new ReportTable("监测在线（当前）", ["餐饮油烟点位", "油烟净化设施在线点位", "监测设备", "在线设备", "设备在线率（%）"],
                [[m.FumeSites, m.FumeSitesOnline, m.Devices, m.DevicesOnline, Percent(m.OnlineRate)]]));
        return tables;
    }

    private static ReportTable Summary(MonthlyReportView report)
    {
        var rows = new List<object?[]>();
        void Row(string name, Func<MonthFigures, double?> figure)
        {
            var now = report.Figures is { } f ? figure(f) : null;
            var previous = report.PreviousMonth is { } p ? figure(p) : null;
            var yearBefore = report.YearBefore is { } y ? figure(y) : null;
            rows.Add([name, now, previous, Change(now, previous), yearBefore, Change(now, yearBefore)]);
        }
        Row("执法线索", f => f.Leads);
        Row("夜间施工无证明线索", f => f.NightWithoutPermit);
        Row("已结案", f => f.Closed);
        Row("无效线索", f => f.Dismissed);
        Row("无效线索率（%）", f => Percent(f.WrongLeadRate));
        Row("按时到场率（%）", f => Percent(f.ResponseRate));
        Row("处罚立案", f => f.CasesFiled);
        Row("罚款（元）", f => (double)f.FinesYuan);
        Row("告知书送达", f => f.NoticesServed);
        Row("夜间施工证明申报", f => f.PermitsFiled);
        Row("投诉举报", f => f.Complaints);
        Row("投诉举报已答复", f => f.ComplaintsAnswered);
        Row("投诉举报按时答复", f => f.ComplaintsOnTime);
        Row("投诉举报答复率（%）", f => Percent(f.ComplaintAnswerRate));
        Row("投诉举报按时答复率（%）", f => Percent(f.ComplaintOnTimeRate));
        return new ReportTable("概况", [$"指标（{report.Month}）", "本月", "上月", "环比（%）", "去年同月", "同比（%）"], rows);
    }

    private static double? Percent(double? rate) => rate is { } r ? Math.Round(r * 100, 1) : null;

    /// <summary>The change in percent of <paramref name="before"/>; null when there is nothing to compare with.</summary>
    private static double? Change(double? now, double? before) =>
        now is { } n && before is { } b && b != 0 ? Math.Round((n - b) / b * 100, 1) : null;
}
