using System.Net.Http.Json;
using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using Iot.Fleet.Leads;
using Iot.Fleet.Rules;
using Iot.Fleet.Tests.People;
using Microsoft.Extensions.DependencyInjection;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp;
using Xunit;

namespace Iot.Fleet.Tests.Cases;

/// <summary>Notice first over HTTP in the fleet itself (TestServer, real SQLite): the override with its reason in the
/// audit log, the commitment letter with a scan that is re-encoded like a commissioning photo, and late leads' review.</summary>
[Collection(FleetAppCollection.Name)]
public sealed class NoticeFirstApiTests(FleetApp fleet)
{
    [Fact]
    public async Task An_override_is_audited_and_the_commitment_letter_with_its_scan_is_recorded_and_shown()
    {
        using var admin = fleet.WithAdminToken();
        var (site, lead) = await NoiseLead(admin, value: 67, late: false);
        await Step(admin, lead, "acknowledge", new { });
        await Step(admin, lead, "dispatch", new { });
        var found = await Step(admin, lead, "result", new { result = "violation_found", note = "打桩机夜间作业 night piling" });
        Assert.Equal("violation_found", (string)found["status"]!);
        Assert.Equal((false, 12.0, "dB"), ((bool)found["minor"]!["minor"]!, (double)found["minor"]!["over"]!, (string)found["minor"]!["unit"]!));

        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync($"/api/leads/{lead}/case/minor", new { minor = true })).StatusCode);
        var noticed = await Step(admin, lead, "minor", new { minor = true, reason = "stopped at once when asked; first complaint in three years" });
        Assert.Equal(("noticed", true, "admin-token"), ((string)noticed["status"]!, (bool)noticed["notice"]!, (string)noticed["minor"]!["by"]!));
        using (var db = fleet.Database())
        {
            var audit = db.QuerySingle<(string Actor, string After)>(
                "SELECT actor, after FROM audit_log WHERE action = 'case.minor' AND subject = @subject", new { subject = $"lead:{lead}" });
            Assert.Equal("admin-token", audit.Actor);
            Assert.Contains("first complaint in three years", audit.After);
        }

        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync($"/api/leads/{lead}/case/close", new { outcome = "confirmed" })).StatusCode);
        var svg = "data:image/svg+xml;base64," + Convert.ToBase64String("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"u8.ToArray());
        var refused = await admin.PostAsJsonAsync($"/api/leads/{lead}/case/commitment", new { signedBy = "王建国", text = "承诺", scan = svg });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("JPEG or PNG", await refused.Content.ReadAsStringAsync());

        var signedAt = DateTimeOffset.UtcNow;
        var letter = await Step(admin, lead, "commitment", new
        {
            signedBy = "王建国 (项目经理)", signedAt = signedAt, text = "本单位承诺夜间不再进行打桩作业。", reference = "承诺书 2026-017", scan = Png(),
        });
        var commitment = letter["commitment"]!;
        Assert.Equal(("王建国 (项目经理)", "承诺书 2026-017", true, "admin-token"),
            ((string)commitment["signedBy"]!, (string)commitment["reference"]!, (bool)commitment["hasScan"]!, (string)commitment["recordedBy"]!));
        var scan = await admin.GetAsync($"/api/leads/{lead}/case/commitment/scan");
        Assert.Equal(HttpStatusCode.OK, scan.StatusCode);
        Assert.Equal("image/png", scan.Content.Headers.ContentType!.MediaType);
        Assert.Equal("承诺书 2026-017", (string)(await admin.GetFromJsonAsync<JsonObject>($"/api/leads/{lead}/case"))!["commitment"]!["reference"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/leads/{lead - 1}/case/commitment/scan")).StatusCode);

        using (var colleague = await fleet.As("inspector"))
            await Step(colleague, lead, "verify", new { note = "letter and site photos seen" });
        var closed = await Step(admin, lead, "close", new { outcome = "confirmed", note = "notice served" });
        Assert.Equal(["acknowledge", "dispatch", "result", "minor", "commitment", "verify", "close"], closed["history"]!.AsArray().Select(h => (string)h!["step"]!));
        Assert.Equal(site, (string)closed["site"]!);
    }

    [Fact]
    public async Task A_backfilled_lead_shows_its_review_deadline_and_no_arrival_deadline()
    {
        using var admin = fleet.WithAdminToken();
        var (_, late) = await NoiseLead(admin, value: 60, late: true);
        var (_, live) = await NoiseLead(admin, value: 60, late: false);

        var lateCase = (await admin.GetFromJsonAsync<JsonObject>($"/api/leads/{late}/case"))!;
        Assert.True((bool)lateCase["late"]!);
        Assert.Null(lateCase["responseDue"]);
        Assert.NotNull(lateCase["reviewDue"]);
        var liveCase = (await admin.GetFromJsonAsync<JsonObject>($"/api/leads/{live}/case"))!;
        Assert.False((bool)liveCase["late"]!);
        Assert.NotNull(liveCase["responseDue"]);
        Assert.Null(liveCase["reviewDue"]);
    }

    private async Task<(string Site, long Lead)> NoiseLead(HttpClient admin, double value, bool late)
    {
        var site = FleetApp.SiteId();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/sites", new { id = site, name = "工地 Site", kind = "noise", grid = $"G-{site}" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/squads",
            new { id = $"SQ-{site}", name = "中队 Squad", grids = new[] { $"G-{site}" }, members = Array.Empty<string>() })).StatusCode);
        var now = DateTimeOffset.UtcNow;
        var minute = now.ToUnixTimeSeconds() / 60 - (late ? 120 : 25);
        var lead = new Lead
        {
            Queue = LeadQueue.Enforcement, Rule = "noise.night_leq", Site = site, Devices = new(StringComparer.Ordinal) { $"GW-{site}" }, StartMinute = minute,
            EndMinute = minute + 2, WindowMinutes = 20, Value = value, Limit = 55, Unit = "dB(A)", Late = late, RaisedAt = now.AddSeconds(-5), UpdatedAt = now,
        };
        fleet.Services.GetRequiredService<LeadStore>().Save([lead]);
        return (site, lead.Id);
    }

    private static async Task<JsonObject> Step(HttpClient http, long lead, string step, object body)
    {
        var answer = await http.PostAsJsonAsync($"/api/leads/{lead}/case/{step}", body);
        var text = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.IsSuccessStatusCode, $"{step}: {(int)answer.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private static string Png()
    {
        using var image = new Image<Rgba32>(60, 80, new Rgba32(240, 240, 230));
        using var output = new MemoryStream();
        image.SaveAsPng(output);
        return "data:image/png;base64," + Convert.ToBase64String(output.ToArray());
    }
}
