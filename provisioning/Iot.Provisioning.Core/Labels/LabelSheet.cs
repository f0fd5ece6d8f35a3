using System.Net;
using System.Text;
using QRCoder;

namespace Iot.Provisioning.Labels;

/// <summary>
/// The printable sheet of claim labels: A4, 2 × 6 labels of 93 × 42 mm per page, each with its QR code
/// as inline SVG, the device id and the claim code in large type. Self-contained HTML (no network).
/// </summary>
public static class LabelSheet
{
    public const string FileName = "labels.html";

    /// <summary>The QR code for one label, as SVG that scales to its box.</summary>
    public static string QrSvg(ClaimPayload label)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(label.ToString(), QRCodeGenerator.ECCLevel.M);
        var svg = new SvgQRCode(data).GetGraphic(4, "#000000", "#ffffff", true, SvgQRCode.SizingMode.ViewBoxAttribute);
        var start = svg.IndexOf("<svg", StringComparison.Ordinal);
        return start > 0 ? svg[start..] : svg;
    }

    public static string Render(IReadOnlyList<ClaimPayload> labels, string title, Action<int>? progress = null)
    {
        var html = new StringBuilder();
        html.Append($$"""
            <!doctype html>
            <html lang="en">
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
              .label svg { flex: none; width: 34mm; height: 34mm; }
              .text { display: flex; flex-direction: column; gap: 1.5mm; }
              .id { font-size: 13pt; font-weight: bold; }
              .code { font-size: 17pt; font-weight: bold; letter-spacing: 0.3mm; }
              .hint { font-family: sans-serif; font-size: 7pt; }
              @media print { .note { display: none; } .label { border-color: #ccc; } }
            </style>
            </head>
            <body>
            <p class="note">{{labels.Count}} labels. Print at 100 % (no "fit to page"). One label per gateway: stick it on the enclosure.</p>
            <main class="sheet">

            """);
        for (var i = 0; i < labels.Count; i++)
        {
            var label = labels[i];
            html.Append($"""
                <div class="label" data-claim="{Encode(label.ToString())}">{QrSvg(label)}<div class="text"><div class="id">{Encode(label.DeviceId)}</div><div class="code">{Encode(label.ClaimCode)}</div><div class="hint">claim code · scan or type to install</div></div></div>

                """);
            progress?.Invoke(i + 1);
        }
        html.Append("</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
