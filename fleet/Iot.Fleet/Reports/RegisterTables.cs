using Dapper;
using Iot.Fleet.Api;
using Iot.Fleet.Cases;
using Iot.Fleet.Complaints;
using Iot.Fleet.Glossary;
using Iot.Fleet.Registry;
using Iot.Fleet.Storage;

namespace Iot.Fleet.Reports;

/// <summary>The registers (台账) as tables to download: sites (点位), liable parties, devices, night-work permits, cases and
/// complaints, with the bureau's headers and times in the bureau's zone. The complaints register has no contacts.</summary>
public sealed class RegisterTables(FleetDatabase database, SiteRegistry registry, PartyRegister parties, ComplaintRegister? complaints = null)
{
    public static readonly IReadOnlyList<string> Names = ["sites", "parties", "devices", "permits", "cases", "complaints"];

    /// <summary>The register called <paramref name="name"/>; 404 for another name.</summary>
    public ReportTable Of(string name) => name switch
    {
        "sites" => Sites(),
        "parties" => Parties(),
        "devices" => Devices(),
        "permits" => Permits(),
        "cases" => Cases(),
        "complaints" => Complaints(),
        _ => throw RefusalException.NotFound("register", $"{name} (registers: {string.Join(", ", Names)})"),
    };

    private ReportTable Sites()
    {
        var names = parties.All().ToDictionary(p => p.Code, p => p.Name, StringComparer.Ordinal);
        return new ReportTable("点位台账",
            ["点位编号", "点位名称", "类型", "地址", "责任主体", "统一社会信用代码", "现场联系人", "联系电话", "灶头数", "工程项目", "网格", "纬度", "经度", "经营时间", "规则配置", "台账版本"],
            [.. registry.Sites().Select(s => new object?[]
            {
                s.Id, s.Name, string.Join("、", s.AllKinds.Select(BureauWords.KindZh)), s.Address, s.Party is { } code ? names.GetValueOrDefault(code) : null, s.Party,
                s.Contact, s.Phone, s.CookingHeads, s.Project, s.Grid, s.Lat, s.Lon, string.Join(";", s.BusinessHours.Select(h => $"{h.From}-{h.To}")), s.Profile, s.Version,
            })]);
    }

    private ReportTable Parties() =>
        new("责任主体台账", ["统一社会信用代码", "名称", "联系人", "联系电话", "住所", "点位", "台账版本"],
            [.. parties.All().Select(p => new object?[] { p.Code, p.Name, p.Contact, p.Phone, p.Address, string.Join("、", p.Sites), p.Version })]);

    private ReportTable Devices()
    {
        using var connection = database.Open();
        return new ReportTable("设备台账", ["设备编号", "点位编号", "状态", "最后上报", "固件版本", "登记时间"],
            [.. connection.Query<(string id, string? site, long created_at, long? last_seen, string? firmware, long? online)>(
                    "SELECT d.id, d.site, d.created_at, st.last_seen, st.firmware, st.online FROM devices d LEFT JOIN device_state st ON st.dev = d.id ORDER BY d.id")
                .Select(d => new object?[]
                {
                    d.id, d.site, d.online switch { 1 => "在线", 0 => "离线", _ => d.last_seen is null ? "从未上线" : "未知" }, Local(d.last_seen), d.firmware, Local(d.created_at),
                })]);
    }

    private ReportTable Permits()
    {
        using var connection = database.Open();
        return new ReportTable("夜间施工证明台账", ["编号", "点位编号", "点位名称", "起", "止", "状态", "证明文号", "备注", "登记时间"],
            [.. connection.Query<(long id, string site, string? name, long from_time, long to_time, string status, string? reference, string? note, long created_at)>(
                    "SELECT p.id, p.site, s.name, p.from_time, p.to_time, p.status, p.reference, p.note, p.created_at FROM permits p LEFT JOIN sites s ON s.id = p.site ORDER BY p.id")
                .Select(p => new object?[]
                {
                    p.id, p.site, p.name, Local(p.from_time * 1000), Local(p.to_time * 1000), BureauWords.Zh("permit." + p.status) ?? p.status, p.reference, p.note, Local(p.created_at),
                })]);
    }

    private ReportTable Cases()
    {
        using var connection = database.Open();
        return new ReportTable("案件台账", ["线索编号", "案号", "点位编号", "点位名称", "违法类型", "开始时间", "线索时间", "状态", "中队", "到场时间", "结论", "结案原因", "罚款（元）", "核查人", "开案时间"],
            [.. connection.Query<(long lead, string? case_number, string site, string? name, string rule, long start_minute, long raised_at, string status, string? squad,
                    long? responded_at, string? outcome, string? close_reason, long? fine_fen, string? verified_by, long opened_at)>(
                    """
                    SELECT c.lead, c.case_number, l.site, s.name, l.rule, l.start_minute, l.raised_at, c.status, q.name AS squad, c.responded_at, c.outcome,
                        c.close_reason, c.fine_fen, c.verified_by, c.opened_at
                    FROM cases c JOIN leads l ON l.id = c.lead LEFT JOIN sites s ON s.id = l.site LEFT JOIN squads q ON q.id = c.squad ORDER BY c.lead
                    """)
                .Select(c => new object?[]
                {
                    c.lead, c.case_number, c.site, c.name, BureauWords.RuleZh(c.rule), Local(c.start_minute * 60_000), Local(c.raised_at), BureauWords.StatusZh(c.status), c.squad,
                    Local(c.responded_at), c.outcome is { } o ? BureauWords.StatusZh(o) : null,
                    c.close_reason is { } r ? CaseRules.DismissReasons.FirstOrDefault(d => d.Id == r)?.Zh ?? r : null, c.fine_fen is { } fen ? fen / 100m : null,
                    c.verified_by, Local(c.opened_at),
                })]);
    }

    /// <summary>Complaints in the order recorded, with their answers; the complainant's contact is never in it (only whether
    /// there is one).</summary>
    private ReportTable Complaints() =>
        new("投诉举报台账", ["编号", "收到时间", "渠道", "工单号", "投诉类型", "点位编号", "点位名称", "地址", "投诉内容", "留有联系方式", "线索编号", "登记人",
                "答复时限", "答复时间", "答复人", "答复方式", "答复内容", "按时答复"],
            [.. (complaints ?? throw new InvalidOperationException("no complaints register")).All().Select(c => new object?[]
            {
                c.Id, Local(Ms(c.ReceivedAt)), ComplaintRules.ChannelZh(c.Channel), c.Reference, ComplaintRules.KindZh(c.Kind), c.Site, c.SiteName, c.Address, c.Text,
                c.HasContact ? "是" : "否", c.Lead, c.RecordedBy, Local(Ms(c.AnswerDue)), c.Answer is { } a ? Local(Ms(a.At)) : null, c.Answer?.By,
                c.Answer is { } b ? ComplaintRules.AnswerChannelZh(b.Channel) : null, c.Answer?.Text,
                c.Answer is { } d ? (d.OnTime ? "是" : "否") : c.Overdue ? "超期未答复" : "未答复",
            })]);

    private static long Ms(DateTime utc) => new DateTimeOffset(utc, TimeSpan.Zero).ToUnixTimeMilliseconds();

    /// <summary>Unix milliseconds as the bureau reads them ("2026-12-06 20:15"), empty when unknown.</summary>
    private static string? Local(long? ms) =>
        ms is { } v ? TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(v), LocalTime.Zone(null)).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) : null;
}
