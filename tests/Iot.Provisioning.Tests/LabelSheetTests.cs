using System.Text.RegularExpressions;
using Iot.Contract.Identity;
using Iot.Provisioning.Factory;
using Iot.Contract.Factory;
using Iot.Provisioning.Labels;

namespace Iot.Provisioning.Tests;

public sealed class LabelSheetTests
{
    [Fact]
    public void One_qr_per_device_holding_the_claim_payload_and_no_secret()
    {
        var batch = FactoryBatch.Generate("NS", 1, 25, 6, DateTimeOffset.UtcNow);
        var html = LabelSheet.Render(batch.Select(i => i.Label).ToList(), "test");

        Assert.Equal(batch.Count, Regex.Matches(html, "<svg").Count);
        var labels = Regex.Matches(html, "<div class=\"label\" data-claim=\"([^\"]+)\">(<svg.*?</svg>)", RegexOptions.Singleline);
        Assert.Equal(batch.Count, labels.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            // QRCoder cannot decode; what we can prove is that the code drawn is QRCoder's code for this payload.
            var payload = ClaimPayload.Parse(System.Net.WebUtility.HtmlDecode(labels[i].Groups[1].Value), out _);
            Assert.Equal(batch[i].Label, payload);
            Assert.Equal(LabelSheet.QrSvg(batch[i].Label), labels[i].Groups[2].Value);
            Assert.Contains($"<div class=\"id\">{batch[i].Id}</div><div class=\"code\">{batch[i].ClaimCode}</div>", html);
            Assert.DoesNotContain(batch[i].BootstrapSecret, html);
        }
    }

    [Fact]
    public void Prints_on_a4_without_splitting_labels_and_needs_no_network()
    {
        var html = LabelSheet.Render([new ClaimPayload("NS-000001", ClaimCode.Generate())], "test");
        Assert.Contains("@page { size: A4", html);
        Assert.Contains("break-inside: avoid", html);
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html);
        Assert.DoesNotContain("@import", html);
    }
}
