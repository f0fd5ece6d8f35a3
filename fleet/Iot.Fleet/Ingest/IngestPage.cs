using Iot.Fleet.Glossary;
using System.Net;
using System.Text;
using Iot.Fleet.Health;

namespace Iot.Fleet.Ingest;

/// <summary>
/// The engineers' page of what the fleet set aside (`/engineer/ingest`, `?device=` for one device): the state of each
/// stage, the messages refused with their reasons, record-number conflicts and the readings InfluxDB refused. One
/// server-rendered document like the campaigns page, no script, reloading itself every 10 s.
/// </summary>
public static class IngestPage
{
    public static string Render(IReadOnlyList<StageReport> stages, string? device, IReadOnlyList<RejectionView> rejections,
        IReadOnlyList<ConflictView> conflicts, IReadOnlyList<QuarantinedLineView> quarantine, IReadOnlyList<Forwarding.SiteQueueView>? forwarding = null)
    {
        var html = new StringBuilder();
        html.Append("""
            <!doctype html><html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1"><meta http-equiv="refresh" content="10">
            <title>Ingest</title><style>
            body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:64rem;padding:.75rem;color:#222}
            h1{font-size:1.3rem}h2{font-size:1.05rem}section{border:1px solid #ccc;border-radius:6px;padding:.6rem;margin:.8rem 0;overflow-x:auto}
            table{border-collapse:collapse;width:100%;font-size:.85rem}td,th{text-align:left;padding:.15rem .3rem;border-bottom:1px solid #eee;vertical-align:top}
            code{font-size:.8rem;word-break:break-all}.bad{color:#b00;font-weight:600}.ok{color:#282}small{color:#666}
            </style></head><body>
            """);
        html.Append($"<h1>Ingest{(device is null ? "" : $" · {E(device)}")}</h1>");
        html.Append("<section><h2>Stages</h2><table><tr><th>stage</th><th>state</th><th>waiting</th><th>failures</th><th>last failure</th></tr>");
        foreach (var s in stages)
        {
            var state = s.Stalled ? "<span class=\"bad\">stalled</span>" : s.Ready ? "<span class=\"ok\">running</span>" : "<span class=\"bad\">not running</span>";
            html.Append($"<tr><td>{E(s.Stage)}</td><td>{state}</td><td>{s.Pending}</td><td>{s.Failures}</td><td>{E(s.LastFailure ?? "")} <small>{(s.LastFailureAt is { } failedAt ? At(failedAt) : "")}</small></td></tr>");
        }
        html.Append("</table></section>");
        // The HJ 212 queue: what each reporting site still owes its environmental platform.
        if (forwarding is { Count: > 0 })
            Section(html, "HJ 212 forwarding", ["platform", "site", "MN", "connection", "waiting", "sent, no 9014 yet", "acknowledged", "oldest waiting minute", "last 9014", "minutes waiting for devices"],
                forwarding, f => [E(f.Platform), E(f.Site), E(f.Mn), f.Connected ? "<span class=\"ok\">open</span>" : "<span class=\"bad\">closed</span>",
                    f.Pending > 0 ? $"<span class=\"bad\">{f.Pending}</span>" : "0", f.Unacknowledged.ToString(), f.Acknowledged.ToString(),
                    f.OldestPending is { } o ? At(o) : "", f.LastAcknowledged is { } l ? At(l) : "", f.OpenMinutes.ToString()]);

        Section(html, "Refused messages", ["received", "device", "topic", "reason", "payload"], rejections,
            r => [At(r.ReceivedAt), Device(r.Device), E(r.Topic), E(r.Reason), Code(r.Payload)]);
        Section(html, "Record numbers sent again with other content", ["received", "device", "stored and sent"], conflicts,
            c => [At(c.ReceivedAt), Device(c.Device), Code(c.Data.GetRawText())]);
        Section(html, "Readings InfluxDB refused", ["at", "device", "reason", "line"], quarantine,
            q => [At(q.At), Device(q.Device), E(q.Reason), Code(q.Line)]);
        html.Append("<small>The same as JSON: /api/rejections, /api/conflicts, /api/influx/quarantine, /api/hj212/queue, /healthz.</small></body></html>");
        return html.ToString();
    }

    // Engineers read the bureau's local time too, with its offset.
    private static string At(DateTimeOffset at) => LocalTime.Format(at, (string?)null);
    private static string At(DateTime utc) => At(new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)));

    /// <summary>A titled table of rows (cells already encoded), or "None.".</summary>
    private static void Section<T>(StringBuilder html, string title, string[] headers, IReadOnlyList<T> rows, Func<T, string[]> cells)
    {
        html.Append($"<section><h2>{E(title)} ({rows.Count})</h2>");
        if (rows.Count == 0)
        {
            html.Append("<p>None.</p></section>");
            return;
        }
        html.Append("<table><tr>").Append(string.Concat(headers.Select(h => $"<th>{E(h)}</th>"))).Append("</tr>");
        foreach (var row in rows) html.Append("<tr>").Append(string.Concat(cells(row).Select(c => $"<td>{c}</td>"))).Append("</tr>");
        html.Append("</table></section>");
    }

    private static string Code(string text) => $"<code>{E(text.Length <= 400 ? text : text[..400] + "…")}</code>";

    private static string Device(string? id) => id is null ? "<small>none</small>" : $"<a href=\"?device={WebUtility.UrlEncode(id)}\">{E(id)}</a>";

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
