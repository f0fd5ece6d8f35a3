using System.Globalization;
using System.Net.Http.Json;
using System.Net;
using System.Text.Json.Nodes;
using System.Text;
using Dapper;
using Iot.Fleet.Leads;
using Iot.Fleet.People;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;
using Iot.Fleet.Tests.People;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Iot.Fleet.Tests.Meters;

/// <summary>The meter register, the lead's evidence and the party's side over HTTP in the fleet itself (TestServer, real
/// SQLite): a calibrated meter with its certificate scan, a background correction, the printed notice, its service in the
/// audit log, and the public list of monitoring points.</summary>
[Collection(FleetAppCollection.Name)]
public sealed class NoticeApiTests(FleetApp fleet)
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    /// <summary>A noise site with a gateway, its sound level meter calibrated until <paramref name="validUntil"/> days from
    /// today, a background of 55 dB(A), 25 night minutes at 62 dB(A) in the journal and the lead the rules would raise.</summary>
    private async Task<(string Site, string Device, long Meter, long Calibration, long Lead)> NightLead(HttpClient admin, int validUntil = 265)
    {
        var site = FleetApp.SiteId();
        var device = $"GW-{site}";
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/sites", new { id = site, name = "滨江一号地块工地", kind = "noise", grid = "G-1" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/devices", new { id = device, site })).StatusCode);
        var meter = await Created(admin, $"/api/devices/{device}/meters", new
        {
            kind = "noise", make = "杭州爱华", model = "AWA5688", serial = "SN-00417", typeApproval = "CMC 浙制 00000417", installedFrom = DateTimeOffset.UtcNow.AddDays(-30),
        });
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var calibration = await Created(admin, $"/api/meters/{(long)meter["id"]!}/calibrations", new
        {
            certificate = "JJG188-2026-0417", institution = "浙江省计量科学研究院", calibratedOn = today.AddDays(-100), validUntil = today.AddDays(validUntil),
            scan = "data:application/pdf;base64," + Convert.ToBase64String("%PDF-1.4\n% test certificate\n"u8.ToArray()),
        });
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync($"/api/sites/{site}/background",
            new { level = 55.0, measuredAt = DateTimeOffset.UtcNow.AddDays(-3), measuredBy = "李工", note = "bell\u0007" })).StatusCode);
        await Created(admin, $"/api/sites/{site}/background", new { level = 55.0, measuredAt = DateTimeOffset.UtcNow.AddDays(-3), measuredBy = "李工" });

        // Last night, 23:00 in Shanghai: 25 minutes at 62 dB(A), 7 dB over the background: −1 → 61 against 55.
        var nightLocal = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Shanghai).Date.AddDays(-1).AddHours(23);
        var start = new DateTimeOffset(nightLocal, TimeSpan.FromHours(8)).ToUnixTimeSeconds();
        var recs = string.Join(",", Enumerable.Range(0, 25).Select(i => $$$"""{"seq":{{{i + 1}}},"t":{{{start + i * 60}}},"dur":60,"q":0,"m":{"laeq":62,"lafmax":64}}"""));
        var payload = Encoding.UTF8.GetBytes($$"""{"v":1,"dev":"{{device}}","fw":"1.4.2","recs":[{{recs}}]}""");
        var now = DateTimeOffset.UtcNow;
        fleet.Services.GetRequiredService<RecordJournal>().Store(
            [new AcceptedTelemetry($"iot/v1/{device}/telemetry", payload, MessageParser.ParseTelemetry(device, payload, now), site)], [], [], [], now);
        var lead = new Lead
        {
            Queue = LeadQueue.Enforcement, Rule = "noise.night_leq", Site = site, Devices = new(StringComparer.Ordinal) { device }, StartMinute = start / 60,
            EndMinute = start / 60 + 5, WindowMinutes = 20, Value = 61, Limit = 55, Unit = "dB(A)", RaisedAt = now, UpdatedAt = now,
        };
        fleet.Services.GetRequiredService<LeadStore>().Save([lead]);
        return (site, device, (long)meter["id"]!, (long)calibration["id"]!, lead.Id);
    }

    [Fact]
    public async Task A_lead_names_its_calibrated_meter_and_shows_the_measured_and_corrected_levels()
    {
        using var admin = fleet.WithAdminToken();
        var (_, device, meterId, calibration, id) = await NightLead(admin);
        var register = (await admin.GetFromJsonAsync<JsonObject>("/api/meters?limit=1000"))!["items"]!.AsArray();
        Assert.Equal("JJG188-2026-0417", (string)register.Single(m => (long)m!["id"]! == meterId)!["calibrations"]![0]!["certificate"]!);
        var evidence = (await admin.GetFromJsonAsync<JsonObject>($"/api/leads/{id}"))!;
        Assert.Equal("calibrated", (string)evidence["lead"]!["evidence"]!);
        var meter = evidence["meters"]!.AsArray().Single()!;
        Assert.Equal((device, "杭州爱华", "AWA5688", "SN-00417", "JJG188-2026-0417"),
            ((string)meter["device"]!, (string)meter["make"]!, (string)meter["model"]!, (string)meter["serial"]!, (string)meter["certificate"]!));
        Assert.Equal(55.0, (double)evidence["background"]!["level"]!);
        var readings = evidence["readings"]!.AsArray();
        Assert.Equal(6, readings.Count); // windows starting 23:00 … 23:05
        Assert.All(readings, r => Assert.Equal((62.0, 61.0, 55.0), (Math.Round((double)r!["measured"]!, 3), Math.Round((double)r["value"]!, 3), (double)r["limit"]!)));

        // The evidence bundle carries the meters and the certificate's scan, in its manifest.
        using (var zip = new System.IO.Compression.ZipArchive(await admin.GetStreamAsync($"/api/leads/{id}/evidence.zip")))
        {
            Assert.Contains(zip.Entries, e => e.FullName == "meters.json");
            var certificate = Assert.Single(zip.Entries, e => e.FullName.StartsWith("certificates/", StringComparison.Ordinal));
            Assert.Equal($"certificates/calibration-{calibration}.pdf", certificate.FullName);
            using var manifest = new StreamReader(zip.GetEntry("manifest.sha256")!.Open());
            Assert.Contains(certificate.FullName, await manifest.ReadToEndAsync());
        }

        var scan = await admin.GetAsync($"/api/calibrations/{calibration}/scan");
        Assert.Equal("application/pdf", scan.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", scan.Content.Headers.ContentDisposition!.DispositionType);
    }

    [Fact]
    public async Task The_notice_names_meter_and_certificate_in_local_time_and_its_service_is_audited()
    {
        using var admin = fleet.WithAdminToken();
        var (site, _, _, _, id) = await NightLead(admin);
        var notice = await admin.GetStringAsync($"/leads/{id}/notice");
        foreach (var expected in new[] { "滨江一号地块工地", "杭州爱华", "AWA5688", "SN-00417", "CMC 浙制 00000417", "JJG188-2026-0417", "浙江省计量科学研究院",
                     "+08:00", " 23:00 +08:00", "62.0 dB(A)", "61.0 dB(A)", "55.0 dB(A)", "夜间施工噪声超过排放限值", "GB 12523-2011", "陈述和申辩", "5 日内" })
            Assert.Contains(expected, notice);
        Assert.DoesNotContain("UTC", notice);
        Assert.DoesNotContain("noise.night_leq", notice);
        Assert.DoesNotContain("非证据", notice);

        using var inspector = await fleet.As("inspector");
        Assert.Equal(HttpStatusCode.BadRequest, (await inspector.PostAsJsonAsync($"/api/leads/{id}/notice/services", new { method = "fax", servedAt = DateTimeOffset.UtcNow })).StatusCode);
        var servedAt = DateTimeOffset.UtcNow.AddMinutes(-5);
        var service = await Created(inspector, $"/api/leads/{id}/notice/services", new { method = "direct", servedAt = servedAt, servedBy = "张三 李四 ", recipient = "  王建国（项目经理）", note = " 本人签收\n " });
        Assert.Equal("direct", (string)service["method"]!);
        using (var db = fleet.Database())
        {
            var audit = db.QuerySingle<(string Actor, string After)>("SELECT actor, after FROM audit_log WHERE action = 'notice.serve' AND subject = @subject",
                new { subject = $"lead:{id}" });
            Assert.StartsWith("inspector-", audit.Actor);
            // Stored as the page shows it: trimmed, as every register's typed text (Api/FieldText).
            var after = JsonNode.Parse(audit.After)!;
            Assert.Equal(("王建国（项目经理）", "张三 李四", "本人签收"), ((string)after["recipient"]!, (string)after["served_by"]!, (string)after["note"]!));
        }
        var served = await admin.GetStringAsync($"/leads/{id}/notice");
        Assert.Contains("直接送达", served);
        Assert.Contains(TimeZoneInfo.ConvertTime(servedAt, Shanghai).ToString("yyyy-MM-dd HH:mm:ss +08:00", CultureInfo.InvariantCulture), served);
        Assert.Equal(1, (long)(await admin.GetFromJsonAsync<JsonObject>($"/api/leads/{id}/notice/services"))!["total"]!);
        // Installers do not read leads, so neither their notices.
        using var installer = await fleet.As("installer");
        Assert.Equal(HttpStatusCode.Forbidden, (await installer.GetAsync($"/leads/{id}/notice")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await installer.PostAsJsonAsync($"/api/leads/{id}/notice/services", new { method = "direct", servedAt = servedAt })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/leads/999999/notice")).StatusCode);
        _ = site;
    }

    [Fact]
    public async Task A_notice_from_an_expired_certificate_says_it_is_not_evidence()
    {
        using var admin = fleet.WithAdminToken();
        var (_, _, _, _, id) = await NightLead(admin, validUntil: -2);
        Assert.Equal("uncalibrated", (string)(await admin.GetFromJsonAsync<JsonObject>($"/api/leads/{id}"))!["lead"]!["evidence"]!);
        Assert.Contains("不作为执法证据", await admin.GetStringAsync($"/leads/{id}/notice"));
    }

    [Fact]
    public async Task The_public_list_needs_no_sign_in_and_shows_only_what_is_published()
    {
        using var admin = fleet.WithAdminToken();
        var site = FleetApp.SiteId();
        var device = $"NS-{site[2..]}"; // its own id, printed on the box; the site's id is internal
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/sites", new { id = site, name = "江南大道金鼎餐厅", kind = "fume", grid = "G-PUB", lat = 30.2, lon = 120.2 })).StatusCode);
        var created = await FleetApp.Body(await admin.PostAsJsonAsync("/api/devices", new { id = device, site }));
        var meter = await Created(admin, $"/api/devices/{device}/meters", new { kind = "fume", make = "先河环保", model = "XHYY-100", serial = "FM-2231" });
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        await Created(admin, $"/api/meters/{(long)meter["id"]!}/calibrations", new
            { certificate = "BD-2026-88", institution = "市环境监测站", calibratedOn = today.AddDays(-10), validUntil = today.AddDays(355) });
        var hidden = FleetApp.SiteId();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/sites", new { id = hidden, name = "未公示的点位 unpublished", kind = "noise" })).StatusCode);

        using var anonymous = fleet.Anonymous();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync($"/api/sites/{site}/monitoring-point", new { district = "滨江区", address = "江南大道 1 号" })).StatusCode);
        using var inspector = await fleet.As("inspector");
        var published = await inspector.PostAsJsonAsync($"/api/sites/{site}/monitoring-point", new { district = "滨江区", address = "江南大道 1 号" });
        Assert.Equal(HttpStatusCode.OK, published.StatusCode);

        var page = await anonymous.GetAsync("/public/monitoring-points");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        foreach (var expected in new[] { "滨江区", "江南大道金鼎餐厅", "江南大道 1 号", "餐饮油烟", device, "先河环保 XHYY-100", today.AddDays(355).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) })
            Assert.Contains(expected, html);
        var json = await anonymous.GetStringAsync("/api/public/monitoring-points");
        foreach (var text in new[] { html, json })
        {
            Assert.DoesNotContain(site, text); // the site's internal id
            Assert.DoesNotContain("未公示", text);
            Assert.DoesNotContain("FM-2231", text); // serials stay with the evidence, not the public list
            Assert.DoesNotContain("BD-2026-88", text);
            Assert.DoesNotContain("inspector-", text); // who published it
            Assert.DoesNotContain(FleetApp.AdminToken, text);
            Assert.DoesNotContain("password", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("30.2", text);
            Assert.DoesNotContain("G-PUB", text);
            if (created["credentials"]?["password"] is { } password) Assert.DoesNotContain((string)password!, text);
        }
        var item = JsonNode.Parse(json)!["items"]!.AsArray().Single(p => (string)p!["site"]! == "江南大道金鼎餐厅")!.AsObject();
        Assert.Equal(["district", "site", "address", "kinds", "device", "meter", "calibratedUntil"], item.Select(p => p.Key));

        // A flood from one client is turned away before the database is asked; nothing fails.
        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 40; i++) codes.Add((await anonymous.GetAsync("/public/monitoring-points")).StatusCode);
        Assert.Contains(HttpStatusCode.TooManyRequests, codes);
        Assert.All(codes, c => Assert.True(c is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, c.ToString()));
    }

    private static async Task<JsonObject> Created(HttpClient http, string path, object body)
    {
        var answer = await http.PostAsJsonAsync(path, body);
        var text = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == HttpStatusCode.Created, $"{path}: {(int)answer.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }
}
