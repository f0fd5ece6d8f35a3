using System.Net;
using System.Text;
using QRCoder;

namespace Iot.Provisioning.Labels;

/// <summary>One gateway's label: its claim QR and, when the factory gave it a hotspot password, its setup hotspot.</summary>
public sealed record GatewayLabel(ClaimPayload Claim, WifiJoinPayload? Hotspot = null);

/// <summary>
/// The printable sheet of labels: A4, 2 × 6 labels of 93 × 42 mm per page, each with its claim QR code as inline SVG,
/// the device id and the claim code in large type and, for gateways with a hotspot password, the setup hotspot's
/// name and password and a smaller Wi-Fi QR that joins it. Self-contained HTML (no network).
/// </summary>
public static class LabelSheet
{
    public const string FileName = "labels.html";

    /// <summary>The QR code for one label, as SVG that scales to its box.</summary>
    public static string QrSvg(ClaimPayload label) => QrSvg(label.ToString(), QRCodeGenerator.ECCLevel.M);

    /// <summary>The Wi-Fi QR code of a label, as SVG that scales to its box.</summary>
    public static string QrSvg(WifiJoinPayload hotspot) => QrSvg(hotspot.ToString(), QRCodeGenerator.ECCLevel.M);

    private static string QrSvg(string text, QRCodeGenerator.ECCLevel level)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, level);
        var svg = new SvgQRCode(data).GetGraphic(4, "#000000", "#ffffff", true, SvgQRCode.SizingMode.ViewBoxAttribute);
        var start = svg.IndexOf("<svg", StringComparison.Ordinal);
        return start > 0 ? svg[start..] : svg;
    }

    /// <summary>Labels with the claim QR only (reprints of lists from before hotspot passwords).</summary>
    public static string Render(IReadOnlyList<ClaimPayload> labels, string title, Action<int>? progress = null) =>
        Render(labels.Select(l => new GatewayLabel(l)).ToList(), title, progress);

    public static string Render(IReadOnlyList<GatewayLabel> labels, string title, Action<int>? progress = null)
    {
        var html = new StringBuilder();
        html.Append($$"""
            <!doctype html>
            <html lang="zh-CN">
            <head>
            <meta charset="utf-8">
            <title>{{Encode(title)}}</title>
            <style>
              @page { size: A4; margin: 10mm; }
              * { box-sizing: border-box; }
              body { margin: 0; font-family: "DejaVu Sans Mono", "Liberation Mono", Consolas, monospace; color: #000; }
              .note { font-family: sans-serif; font-size: 10pt; margin: 0 0 4mm; }
              .sheet { display: grid; grid-template-columns: repeat(2, 93mm); grid-auto-rows: 42mm; gap: 3mm 4mm; }
              .label { display: flex; align-items: center; gap: 3mm; padding: 3mm; border: 0.2mm dashed #888;
                       break-inside: avoid; page-break-inside: avoid; overflow: hidden; }
              .label > svg { flex: none; width: 34mm; height: 34mm; }
              .text { display: flex; flex-direction: column; gap: 1.5mm; min-width: 0; }
              .id { font-size: 13pt; font-weight: bold; }
              .code { font-size: 17pt; font-weight: bold; letter-spacing: 0.3mm; }
              .hint { font-family: sans-serif; font-size: 6.5pt; line-height: 1.15; }
              .wifi { display: flex; align-items: center; gap: 1.5mm; margin-top: 0.5mm; }
              .wifi svg { flex: none; width: 16mm; height: 16mm; }
              .wifi > div { display: flex; flex-direction: column; gap: 0.3mm; min-width: 0; }
              .net { font-size: 8pt; }
              .pass { font-size: 9pt; font-weight: bold; word-break: break-all; }
              .with-wifi .text { gap: 0.8mm; }
              @media print { .note { display: none; } .label { border-color: #ccc; } }
            </style>
            </head>
            <body>
            <p class="note">{{labels.Count}} labels. Print at 100 % (no "fit to page"). One label per gateway: stick it on the enclosure.</p>
            <main class="sheet">

            """);
        for (var i = 0; i < labels.Count; i++)
        {
            var (claim, hotspot) = labels[i];
            var text = $"""<div class="id">{Encode(claim.DeviceId)}</div><div class="code">{Encode(claim.ClaimCode)}</div><div class="hint">认领码 · 扫码或输入以安装 / claim code · scan or type to install</div>""";
            html.Append(hotspot is null
                ? $"""
                    <div class="label" data-claim="{Encode(claim.ToString())}">{QrSvg(claim)}<div class="text">{text}</div></div>

                    """
                : $"""
                    <div class="label with-wifi" data-claim="{Encode(claim.ToString())}" data-wifi="{Encode(hotspot.ToString())}">{QrSvg(claim)}<div class="text">{text}<div class="wifi">{QrSvg(hotspot)}<div><div class="hint">设置热点 · setup Wi-Fi</div><div class="net">{Encode(hotspot.Ssid)}</div><div class="pass">{Encode(hotspot.Password)}</div><div class="hint">按住盖内按钮 5 秒 · hold the button in the lid 5 s</div></div></div></div></div>

                    """);
            progress?.Invoke(i + 1);
        }
        html.Append("</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
