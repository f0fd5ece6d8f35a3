using Iot.Fleet.Glossary;
using System.Globalization;
using System.Net;
using System.Text;
using Iot.Fleet.Leads;
using Iot.Fleet.Meters;
using Iot.Fleet.Registry;
using Iot.Fleet.Rules;

namespace Iot.Fleet.Notices;

/// <summary>Section "Notice": what the party's notice says beyond the lead.</summary>
public sealed class NoticeOptions
{
    /// <summary>The bureau in the notice's heading.</summary>
    public string Bureau { get; set; } = "综合行政执法局";

    /// <summary>Days from service within which the party may state a defence (陈述、申辩).</summary>
    public int DefenceDays { get; set; } = 5;

    /// <summary>Where and how the party states a defence.</summary>
    public string DefenceHow { get; set; } = "可向本局书面提出，或到本局执法窗口口头陈述、申辩，由执法人员记录。";

    /// <summary>Where the public may query the data and the monitoring points.</summary>
    public string QueryHow { get; set; } = "监测点位及设备信息见本局网站“监测点位公示”；当事人可到本局查询、核对监测数据。";
}

/// <summary>The printable notice to the party (告知书) and the public list of monitoring points. Every time is the site's
/// local time with its offset; every word is the bureau's.</summary>
public static class NoticePage
{
    private const string Style = """
        <style>body{font-family:"Noto Serif CJK SC","Songti SC",serif;margin:2em auto;max-width:48em;line-height:1.6}
        h1{text-align:center;font-size:1.5em}table{border-collapse:collapse;width:100%;margin:.5em 0 1.2em}
        th,td{border:1px solid #555;padding:.25em .5em;text-align:left;vertical-align:top}th{background:#eee;white-space:nowrap}
        .warn{border:2px solid #b00;color:#b00;padding:.5em;font-weight:bold}.sign{margin-top:3em}
        @media print{body{margin:0}.noprint{display:none}}</style>
        """;

    public static string Notice(Lead lead, Site site, LiableParty? party, MonitoringPoint? point, IReadOnlyList<MeterEvidence> meters, IReadOnlyList<LeadReading> readings,
        BackgroundLevel? background, RuleProfile? profile, IReadOnlyList<NoticeService> services, NoticeOptions options)
    {
        var zone = LocalTime.Zone(site.Timezone);
        string Local(DateTimeOffset t) => TimeZoneInfo.ConvertTime(t, zone).ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);
        string LocalMinute(DateTime utc) => TimeZoneInfo.ConvertTime(new DateTimeOffset(utc, TimeSpan.Zero), zone).ToString("yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture);
        string Num(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""
            <!DOCTYPE html>
            <html lang="zh-CN"><head><meta charset="utf-8"><title>告知书 — 线索 {lead.Id}</title>{Style}</head><body>
            <h1>{E(options.Bureau)}<br>电子技术监控设备记录违法事实告知书</h1>
            <p>编号：线索 {lead.Id}</p>

            """);
        if (lead.Evidence == EvidenceGrade.Uncalibrated)
            html.Append("<p class=\"warn\">注意：监测时段内计量器具无有效检定证书，本记录不作为执法证据，不得据此送达。</p>\n");
        if (party is not null)
        {
            // The party as the register named it when the breach began.
            html.Append("<h2>当事人</h2><table>");
            Row(html, "名称", party.Name);
            Row(html, "统一社会信用代码", party.Code);
            Row(html, "住所", party.Address ?? "—");
            Row(html, "联系人及电话", string.Join(" ", new[] { party.Contact, party.Phone }.OfType<string>()) is { Length: > 0 } contact ? contact : "—");
            html.Append("</table>\n");
        }
        html.Append("<h2>一、监测点位</h2><table>");
        Row(html, "点位名称", site.Name);
        Row(html, "所在区域", point?.District ?? "（未公示）");
        Row(html, "地址", point?.Address ?? site.Address ?? "（未公示）");
        Row(html, "监测类别", string.Join("、", site.AllKinds.Select(BureauWords.KindZh)));
        html.Append("</table>\n<h2>二、监测设备与计量检定</h2><table><tr><th>监测设备</th><th>计量器具（厂家/型号/出厂编号）</th><th>型式批准</th><th>检定证书</th><th>检定机构</th><th>有效期至</th></tr>");
        foreach (var device in lead.Devices)
        {
            var ofDevice = meters.Where(m => m.Device == device).ToList();
            if (ofDevice.Count == 0)
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(device)}</td><td colspan=\"5\">未登记计量器具</td></tr>");
            foreach (var m in ofDevice)
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr><td>{E(device)}</td><td>{E(m.Make)} / {E(m.Model)} / {E(m.Serial)}</td><td>{E(m.TypeApproval ?? "—")}</td><td>{E(m.Certificate ?? "无有效证书")}</td><td>{E(m.Institution ?? "—")}</td><td>{E(m.ValidUntil?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "—")}</td></tr>");
        }
        html.Append("</table>\n<h2>三、监测数据</h2>");
        var corrected = readings.Any(r => r.Background is not null);
        // A suspected evasion names what it rests on (silence or an opened enclosure); an opened enclosure has no value to set
        // against a limit.
        var evasion = SuspectedEvasion.CauseOf(lead) is { } cause ? BureauWords.Zh($"evasion.{cause}") : null;
        html.Append(CultureInfo.InvariantCulture, $"<p>违法事实：{E(evasion ?? BureauWords.FactZh(lead.Rule))}。自 {E(Local(lead.Start))} 至 {E(Local(lead.End.AddMinutes(lead.WindowMinutes)))}");
        if (SuspectedEvasion.IsTamper(lead)) html.Append("，设备上报防拆开关触发。</p>\n");
        else html.Append(CultureInfo.InvariantCulture, $"，最不利时段数值 {Num(lead.Value)} {E(BureauWords.UnitZh(lead.Unit))}，限值 {Num(lead.Limit)} {E(BureauWords.UnitZh(lead.Unit))}。</p>\n");
        if (background is not null)
            html.Append(CultureInfo.InvariantCulture,
                $"<p>背景噪声：{Num(background.Level)} dB(A)（{E(Local(background.MeasuredAt))} 由 {E(background.MeasuredBy)} 测量），测量值按 GB 12523-2011 背景噪声修正后与限值比较。</p>\n");
        html.Append("<table><tr><th>时段（起）</th><th>时段（止）</th><th>设备</th><th>测量值</th>");
        if (corrected) html.Append("<th>修正后</th>");
        html.Append("<th>限值</th></tr>");
        foreach (var r in readings)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(LocalMinute(r.Start))}</td><td>{E(LocalMinute(r.End))}</td><td>{E(r.Device)}</td><td>{Num(r.Measured)} {E(BureauWords.UnitZh(r.Unit))}</td>");
            if (corrected) html.Append(CultureInfo.InvariantCulture, $"<td>{Num(r.Value)} {E(BureauWords.UnitZh(r.Unit))}</td>");
            html.Append(CultureInfo.InvariantCulture, $"<td>{Num(r.Limit)} {E(BureauWords.UnitZh(r.Unit))}</td></tr>");
        }
        if (readings.Count == 0) html.Append("<tr><td colspan=\"6\">（见证据材料）</td></tr>");
        html.Append("</table>\n<h2>四、依据</h2><table>");
        Row(html, "标准", profile?.Source ?? lead.Profile);
        Row(html, "标准档案版本", profile is null ? $"第 {lead.ProfileVersion} 版" : $"{profile.Name}，第 {profile.Version} 版");
        html.Append("</table>\n<h2>五、陈述和申辩</h2>");
        html.Append(CultureInfo.InvariantCulture,
            $"<p>根据《中华人民共和国行政处罚法》第四十一条、第四十四条、第四十五条，你（单位）有权进行陈述和申辩。请于收到本告知书之日起 {options.DefenceDays} 日内提出。{E(options.DefenceHow)}逾期未提出的，视为放弃陈述和申辩的权利。</p>\n");
        html.Append(CultureInfo.InvariantCulture, $"<p>{E(options.QueryHow)}</p>\n");
        html.Append("<h2>六、送达</h2><table><tr><th>送达方式</th><th>送达时间</th><th>送达人</th><th>受送达人</th></tr>");
        foreach (var s in services)
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{E(ServiceMethod.Words.GetValueOrDefault(s.Method, s.Method))}</td><td>{E(Local(s.ServedAt))}</td><td>{E(s.ServedBy)}</td><td>{E(s.Recipient ?? "")}</td></tr>");
        if (services.Count == 0) html.Append("<tr><td>&nbsp;</td><td></td><td></td><td></td></tr>");
        html.Append("</table>\n<p class=\"sign\">受送达人（签名）：__________　　　日期：__________</p>\n");
        html.Append(CultureInfo.InvariantCulture, $"<p class=\"sign\">{E(options.Bureau)}（印章）　　　{E(TimeZoneInfo.ConvertTime(lead.RaisedAt, zone).ToString("yyyy年M月d日", CultureInfo.InvariantCulture))}</p>\n");
        html.Append("</body></html>\n");
        return html.ToString();
    }

    /// <summary>One published monitoring point as the public sees it: no site id, no coordinates of the operator, no contact,
    /// nothing of the accounts; the device's id is printed on its box at the point.</summary>
    public sealed record PublicPoint(string District, string Site, string Address, string Kinds, string Device, string Meter,
        string? CalibratedUntil);

    public static string PublicList(IReadOnlyList<PublicPoint> points, string bureau)
    {
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""
            <!DOCTYPE html>
            <html lang="zh-CN"><head><meta charset="utf-8"><title>监测点位公示</title>{Style}</head><body>
            <h1>{E(bureau)}<br>电子技术监控设备（监测点位）公示</h1>
            <p>依据《中华人民共和国行政处罚法》第四十一条，现将用于非现场执法的电子技术监控设备设置地点公示如下。</p>

            """);
        foreach (var district in points.GroupBy(p => p.District))
        {
            html.Append(CultureInfo.InvariantCulture, $"<h2>{E(district.Key)}</h2><table><tr><th>点位名称</th><th>地址</th><th>监测类别</th><th>设备编号</th><th>计量器具</th><th>检定有效期至</th></tr>");
            foreach (var p in district)
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr><td>{E(p.Site)}</td><td>{E(p.Address)}</td><td>{E(p.Kinds)}</td><td>{E(p.Device)}</td><td>{E(p.Meter)}</td><td>{E(p.CalibratedUntil ?? "—")}</td></tr>");
            html.Append("</table>\n");
        }
        if (points.Count == 0) html.Append("<p>暂无公示的监测点位。</p>\n");
        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static void Row(StringBuilder html, string label, string value) => html.Append(CultureInfo.InvariantCulture, $"<tr><th>{label}</th><td>{E(value)}</td></tr>");

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
