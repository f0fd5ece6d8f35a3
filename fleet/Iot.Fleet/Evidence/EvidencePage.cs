using System.Globalization;
using System.Net;
using System.Text;
using Iot.Fleet.Glossary;
using Iot.Fleet.Rules;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Evidence;

/// <summary>The printable page of an evidence bundle: Chinese and English labels, the lead and its rule, the windows,
/// a chart of the readings with the limit line, the devices, the commissioning records, the site and the case history.</summary>
public static class EvidencePage
{
    /// <summary>The channel each rule compares with its limit, for the chart.</summary>
    public static string ChartChannel(string rule) => rule switch
    {
        "noise.day_leq" or "noise.night_leq" => Channels.Laeq,
        "noise.night_lmax" => Channels.Lafmax,
        "dust.pm10" => Channels.Pm10,
        "fume.concentration" => Channels.Fume,
        "fume.purifier_off" => Channels.Pur,
        _ => Channels.Fume,
    };

    public static string Html(EvidenceSources s)
    {
        var lead = s.Lead;
        // People read the site's local time with its offset (readings.csv keeps both for machines).
        var zone = LocalTime.Zone(s.Site?.Timezone);
        string Local(DateTimeOffset t) => TimeZoneInfo.ConvertTime(t, zone).ToString("yyyy-MM-dd HH:mm:ss '('zzz')'", CultureInfo.InvariantCulture);
        string LocalUtc(DateTime utc) => Local(new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)));
        string Num(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        var html = new StringBuilder();
        html.Append($$$"""
            <!DOCTYPE html>
            <html lang="zh-CN"><head><meta charset="utf-8">
            <title>执法证据 Evidence — 线索 Lead #{{{lead.Id}}}</title>
            <style>body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse;margin:.5em 0 1.5em}
            th,td{border:1px solid #999;padding:.25em .5em;text-align:left;vertical-align:top}th{background:#eee}h2{margin-top:1.5em}
            @media print{body{margin:0}}</style></head><body>
            <h1>执法证据 Evidence bundle — 线索 Lead #{{{lead.Id}}}</h1>
            <p>导出时间 Exported: {{{E(Local(s.ExportedAt))}}} · 导出人 Exporter: {{{E(s.Exporter)}}}</p>

            """);
        html.Append("<h2>线索 Lead</h2><table>");
        Row(html, "规则 Rule", $"{BureauWords.RuleZh(lead.Rule)} {BureauWords.En("rule." + lead.Rule)}");
        Row(html, "限值 Limit", $"{Num(lead.Limit)} {BureauWords.UnitZh(lead.Unit)}");
        Row(html, "最不利窗口值 Worst window value", $"{Num(lead.Value)} {BureauWords.UnitZh(lead.Unit)}");
        Row(html, "窗口长度 Window length", $"{lead.WindowMinutes} 分钟 min");
        Row(html, "首个超标窗口 First breaching window", Local(lead.Start));
        Row(html, "末个超标窗口 Last breaching window", Local(lead.End));
        Row(html, "超标时段 Breach period", $"{Local(lead.Start)} – {Local(lead.End.AddMinutes(lead.WindowMinutes))}");
        Row(html, "生成时间 Raised", Local(lead.RaisedAt));
        Row(html, "迟报 Late", lead.Late ? "是 yes" : "否 no");
        Row(html, "标准档 Rule profile", s.Profile is { } profile
            ? $"{profile.Id} v{profile.Version} — {profile.Name}; {profile.Source}"
            : $"{lead.Profile} v{lead.ProfileVersion}");
        Row(html, "状态 Status", $"{BureauWords.StatusZh(lead.Status)} {BureauWords.En("status." + lead.Status)}");
        Row(html, "证据等级 Evidence grade", lead.Evidence switch
        {
            Meters.EvidenceGrade.Uncalibrated => "非证据级：计量器具在监测时段内无有效检定证书 Not evidence-grade: no valid calibration",
            Meters.EvidenceGrade.Calibrated => "计量器具检定有效 Meter calibrated",
            _ => "—",
        });
        if (lead.Detail is not null) Row(html, "说明 Detail", lead.Detail);
        html.Append("</table>\n");

        html.Append("<h2>读数 Readings</h2>\n").Append(Chart(s)).Append('\n');
        html.Append(CultureInfo.InvariantCulture, $"<p>记录 Records: {s.Records.Count} (readings.csv) · 原始报文 Raw messages: {s.Messages.Count} (messages/)</p>\n");

        html.Append("<h2>点位 Site</h2><table>");
        if (s.Site is { } site)
        {
            Row(html, "编号 Id", site.Id);
            Row(html, "名称 Name", site.Name);
            Row(html, "类型 Kind", string.Join("、", site.AllKinds.Select(BureauWords.KindZh)));
            Row(html, "网格 Grid", site.Grid ?? "—");
            Row(html, "时区 Time zone", site.Timezone);
            Row(html, "位置 Location (WGS-84)", site.Lat is { } lat && site.Lon is { } lon ? $"{Num(lat)}, {Num(lon)}" : "—");
        }
        else Row(html, "编号 Id", lead.Site);
        html.Append("</table>\n");

        html.Append("<h2>设备 Devices</h2><table><tr><th>编号 Id</th><th>固件 Firmware</th><th>最后通信 Last seen</th><th>状态 Status</th></tr>");
        foreach (var d in s.Devices)
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{E(d.Id)}</td><td>{E(d.Firmware ?? "—")}</td><td>{E(d.LastSeen is { } seen ? LocalUtc(seen) : "—")}</td><td>{E(BureauWords.Zh("device." + d.Status) ?? d.Status)}</td></tr>");
        html.Append("</table>\n");

        html.Append("<h2>计量器具 Meters</h2>");
        if (s.Meters is { Count: > 0 } meters)
        {
            html.Append("<table><tr><th>设备 Device</th><th>器具 Meter</th><th>出厂编号 Serial</th><th>型式批准 Type approval</th><th>检定证书 Certificate</th><th>检定机构 Institution</th><th>有效期至 Valid until</th></tr>");
            foreach (var m in meters)
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr><td>{E(m.Device)}</td><td>{E($"{m.Make} {m.Model}")}</td><td>{E(m.Serial)}</td><td>{E(m.TypeApproval ?? "—")}</td><td>{E(m.Certificate ?? "无 none")}</td><td>{E(m.Institution ?? "—")}</td><td>{E(m.ValidUntil?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "—")}</td></tr>");
            html.Append("</table><p>证书扫描件 Certificate scans: certificates/ · meters.json</p>\n");
        }
        else html.Append("<p>未登记 None registered</p>\n");

        html.Append("<h2>调试验收记录 Commissioning records</h2><table><tr><th>#</th><th>通过 Passed</th><th>方式 Method</th><th>设备 Device</th><th>签署人 Signed by</th><th>签署时间 Signed at</th><th>生效 Valid from</th><th>备注 Note</th></tr>");
        foreach (var c in s.Commissioning)
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{c.Id}</td><td>{(c.Passed ? "是 yes" : "否 no")}</td><td>{E(c.Method)}</td><td>{E(c.Device ?? "—")}</td><td>{E(c.SignedBy)}</td><td>{E(Local(c.SignedAt))}</td><td>{E(Local(c.ValidFrom))}</td><td>{E(c.Note ?? "")}</td></tr>");
        html.Append("</table>\n");

        html.Append("<h2>处置记录 Case history</h2>");
        if (s.Case is { } caseView)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<p>状态 Status: {E(BureauWords.StatusZh(caseView.Status))} · 中队 Squad: {E(caseView.Squad ?? "—")} · {(caseView.ResponseDue is { } due ? $"到场时限 Response due: {E(LocalUtc(due))} · 超时 Overdue: {(caseView.Overdue ? "是 yes" : "否 no")}" : $"补传 Backfilled · 复核时限 Review due: {E(LocalUtc(caseView.ReviewDue!.Value))}")}</p>");
            // The loop's records in the glossary's words: arrival by check-in, the penalty case and its fine, 核查, 反馈.
            var facts = new List<(string Key, string Value)>();
            if (caseView.CheckIn is { } k)
                facts.Add(("step.checkin", k.Lat is { } lat && k.Lon is { } lon
                    ? $"{LocalUtc(k.At)} · {Num(lat)}, {Num(lon)} ±{Num(k.AccuracyM ?? 0)} m · {(k.DistanceM is { } d ? $"{Num(d)} m" : "—")}{(k.Far ? " · 距点位过远 far from the point" : "")} · {k.By}"
                    : $"{LocalUtc(k.At)} · 手工录入 typed: {k.Reason} · {k.By}"));
            if (caseView.CaseNumber is { } number) facts.Add(("case_number", number));
            if (caseView.FineYuan is { } fine) facts.Add(("fine", fine.ToString("0.00", CultureInfo.InvariantCulture)));
            if (caseView.Verification is { } v) facts.Add(("step.verify", $"{v.By} · {LocalUtc(v.At)} · {v.Note}"));
            foreach (var f in caseView.Feedback ?? [])
                facts.Add(("step.feedback", $"{BureauWords.Zh("feedback." + f.Channel) ?? f.Channel} · {f.By} · {LocalUtc(f.At)} · {f.Text}"));
            if (facts.Count > 0)
            {
                html.Append("<table>");
                foreach (var (key, value) in facts) Row(html, $"{BureauWords.Zh(key)} {BureauWords.En(key)}", value);
                html.Append("</table>\n");
            }
            html.Append("<table><tr><th>步骤 Step</th><th>从 From</th><th>到 To</th><th>操作人 By</th><th>时间 At</th><th>内容 Data</th></tr>");
            foreach (var step in caseView.History ?? [])
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr><td>{E(BureauWords.Zh("step." + step.Step) ?? step.Step)}</td><td>{E(BureauWords.StatusZh(step.From))}</td><td>{E(BureauWords.StatusZh(step.To))}</td><td>{E(step.By)}</td><td>{E(LocalUtc(step.At))}</td><td>{E(step.Data?.ToJsonString() ?? "")}</td></tr>");
            html.Append("</table>\n");
        }
        else html.Append("<p>无 None</p>\n");

        html.Append("<h2>校验 Verification</h2><p>每个文件的 SHA-256 列于 manifest.json，并由本局证据密钥签名（manifest.sig）；用 <code>iot-evidence verify</code> 离线核验签名、文件与设备证明。"
            + "Every file's SHA-256 is in manifest.json, signed with the bureau's evidence key (manifest.sig); <code>iot-evidence verify</code> checks the signature, the files and the device proofs offline, "
            + "and <code>sha256sum -c manifest.sha256</code> checks the unzipped folder.</p>\n");
        html.Append("</body></html>\n");
        return html.ToString();
    }

    /// <summary>An inline SVG line chart of the rule's channel per device over the bundle's span, with the limit as a
    /// dashed red line and the breach period shaded.</summary>
    public static string Chart(EvidenceSources s)
    {
        const double width = 800, height = 280, left = 60, right = 20, top = 20, bottom = 40;
        var channel = ChartChannel(s.Lead.Rule);
        var points = s.Records.Where(r => r.Measurements.ContainsKey(channel)).ToList();
        var max = Math.Max(s.Lead.Limit, points.Count == 0 ? 0 : points.Max(r => r.Measurements[channel]));
        var yMax = max <= 0 ? 1 : max * 1.15;
        double X(long t) => left + (t - s.FromTime) / (double)Math.Max(1, s.ToTime - s.FromTime) * (width - left - right);
        double Y(double v) => top + (1 - v / yMax) * (height - top - bottom);
        string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{F(width)}\" height=\"{F(height)}\" viewBox=\"0 0 {F(width)} {F(height)}\" role=\"img\" aria-label=\"{E(channel)}\">");
        var breachFrom = X(s.Lead.StartMinute * 60);
        var breachTo = X((s.Lead.EndMinute + s.Lead.WindowMinutes) * 60);
        svg.Append(CultureInfo.InvariantCulture,
            $"<rect x=\"{F(breachFrom)}\" y=\"{F(top)}\" width=\"{F(Math.Max(1, breachTo - breachFrom))}\" height=\"{F(height - top - bottom)}\" fill=\"#fde2e2\"/>");
        svg.Append(CultureInfo.InvariantCulture,
            $"<line x1=\"{F(left)}\" y1=\"{F(height - bottom)}\" x2=\"{F(width - right)}\" y2=\"{F(height - bottom)}\" stroke=\"#000\"/><line x1=\"{F(left)}\" y1=\"{F(top)}\" x2=\"{F(left)}\" y2=\"{F(height - bottom)}\" stroke=\"#000\"/>");
        svg.Append(CultureInfo.InvariantCulture,
            $"<text x=\"{F(left - 5)}\" y=\"{F(top + 5)}\" font-size=\"11\" text-anchor=\"end\">{E(yMax.ToString("0.##", CultureInfo.InvariantCulture))}</text><text x=\"{F(left - 5)}\" y=\"{F(height - bottom)}\" font-size=\"11\" text-anchor=\"end\">0</text>");
        var palette = new[] { "#1f77b4", "#2ca02c", "#9467bd", "#8c564b" };
        var i = 0;
        foreach (var device in points.GroupBy(r => r.Device).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var line = string.Join(' ', device.Select(r => $"{F(X(r.Time + r.Duration / 2))},{F(Y(r.Measurements[channel]))}"));
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{palette[i++ % palette.Length]}\" stroke-width=\"1.5\" points=\"{line}\"><title>{E(device.Key)}</title></polyline>");
        }
        svg.Append(CultureInfo.InvariantCulture,
            $"<line x1=\"{F(left)}\" y1=\"{F(Y(s.Lead.Limit))}\" x2=\"{F(width - right)}\" y2=\"{F(Y(s.Lead.Limit))}\" stroke=\"#d62728\" stroke-dasharray=\"6 4\"/>");
        svg.Append(CultureInfo.InvariantCulture,
            $"<text x=\"{F(width - right)}\" y=\"{F(Y(s.Lead.Limit) - 4)}\" font-size=\"11\" fill=\"#d62728\" text-anchor=\"end\">限值 limit {E(s.Lead.Limit.ToString("0.###", CultureInfo.InvariantCulture))} {E(s.Lead.Unit)}</text>");
        svg.Append(CultureInfo.InvariantCulture,
            $"<text x=\"{F(left)}\" y=\"{F(height - 10)}\" font-size=\"11\">{E(LocalTime.Format(DateTimeOffset.FromUnixTimeSeconds(s.FromTime), s.Site?.Timezone))}</text>");
        svg.Append(CultureInfo.InvariantCulture,
            $"<text x=\"{F(width - right)}\" y=\"{F(height - 10)}\" font-size=\"11\" text-anchor=\"end\">{E(LocalTime.Format(DateTimeOffset.FromUnixTimeSeconds(s.ToTime), s.Site?.Timezone))} · {E(channel)}</text>");
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static void Row(StringBuilder html, string label, string value) => html.Append($"<tr><th>{E(label)}</th><td>{E(value)}</td></tr>");

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
