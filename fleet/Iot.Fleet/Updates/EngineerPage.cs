using System.Net;
using System.Text;

namespace Iot.Fleet.Updates;

/// <summary>
/// The engineer's campaign page (`/engineer/campaigns`): one server-rendered HTML document, no script, no CDN,
/// readable on a phone; it reloads itself every 5 s. Per campaign: status, a bar per stage (updated, in progress,
/// failed) and the failures with the device's own reason.
/// </summary>
public static class EngineerPage
{
    public static string Render(IReadOnlyList<Campaign> campaigns)
    {
        var html = new StringBuilder();
        html.Append("""
            <!doctype html><html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1"><meta http-equiv="refresh" content="5">
            <title>OTA campaigns</title><style>
            body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:56rem;padding:.75rem;color:#222}
            h1{font-size:1.3rem}h2{font-size:1.05rem;margin:0}section{border:1px solid #ccc;border-radius:6px;padding:.6rem;margin:.8rem 0}
            .st{display:inline-block;padding:0 .4rem;border-radius:4px;background:#eee;font-size:.85rem}
            .running{background:#cde8ff}.halted{background:#ffd2cc}.completed{background:#d4f5d4}.paused{background:#fff2b3}.aborted{background:#ddd}
            .bar{display:flex;height:.9rem;background:#eee;border-radius:3px;overflow:hidden;margin:.15rem 0 .4rem}
            .ok{background:#3a3}.go{background:#59f}.bad{background:#d33}
            table{border-collapse:collapse;width:100%;font-size:.85rem}td,th{text-align:left;padding:.15rem .3rem;border-bottom:1px solid #eee}
            small{color:#666}
            </style></head><body><h1>OTA campaigns</h1>
            """);
        if (campaigns.Count == 0) html.Append("<p>No campaigns yet.</p>");
        foreach (var c in campaigns.OrderByDescending(c => c.Id))
        {
            var view = CampaignView.Of(c, devices: false);
            html.Append($"<section><h2>#{c.Id} → {E(c.Release.Version)} <span class=\"st {E(c.Status)}\">{E(c.Status)}</span></h2>");
            html.Append($"<small>stage {view.Stage} of {view.Stages}");
            if (c.RollbackOf is { } of) html.Append($" · rollback of #{of}");
            if (c.StatusReason is { } reason) html.Append($" · {E(reason)}");
            html.Append("</small>");
            foreach (var s in view.Progress)
            {
                double Pct(int n) => s.Devices == 0 ? 0 : 100.0 * n / s.Devices;
                html.Append($"<div><small>stage {s.Stage} ({s.Share:0.#} %): {s.Succeeded} updated, {s.InProgress} in progress, {s.Failed} failed, {s.Queued} queued of {s.Devices}</small>");
                html.Append($"<div class=\"bar\"><div class=\"ok\" style=\"width:{Pct(s.Succeeded):0.##}%\"></div><div class=\"go\" style=\"width:{Pct(s.InProgress):0.##}%\"></div>");
                html.Append($"<div class=\"bad\" style=\"width:{Pct(s.Failed):0.##}%\"></div></div></div>");
            }
            var downloading = c.Devices.Where(d => d.State == UpdateState.Downloading).Take(20).ToList();
            if (downloading.Count > 0)
            {
                html.Append("<table><tr><th>downloading</th><th></th></tr>");
                foreach (var d in downloading)
                    html.Append($"<tr><td>{E(d.Id)}</td><td><div class=\"bar\"><div class=\"go\" style=\"width:{d.Percent ?? 0}%\"></div></div></td></tr>");
                html.Append("</table>");
            }
            if (view.Failures.Count > 0)
            {
                html.Append("<table><tr><th>device</th><th>stage</th><th>state</th><th>reason</th><th>health</th></tr>");
                foreach (var f in view.Failures.Take(100))
                    html.Append($"<tr><td>{E(f.Device)}</td><td>{f.Stage}</td><td>{E(f.State)}</td><td>{E(f.Reason ?? "")}</td><td>{E(f.Health)}</td></tr>");
                html.Append("</table>");
                if (view.Failures.Count > 100) html.Append($"<small>and {view.Failures.Count - 100} more (GET /api/campaigns/{c.Id})</small>");
            }
            html.Append("</section>");
        }
        html.Append("</body></html>");
        return html.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
