using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Iot.Fleet.Api;
using Iot.Fleet.Leads;
using Iot.Fleet.Registry;
using Iot.Fleet.Rules;
using Iot.Fleet.Tests.People;
using Iot.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Iot.Fleet.Tests.Registry;

/// <summary>The registers (台账): liable parties by unified social credit code, a site's register fields, and edits and moves
/// that keep the site's history.</summary>
[Collection(FleetAppCollection.Name)]
public sealed class RegistersApiTests(FleetApp fleet)
{
    // Real codes (published on the national enterprise credit system); each passes the GB 32100-2015 check.
    public static readonly TheoryData<string> RealCodes = ["91350100M000100Y43", "91110000600037341L", "91440300708461136T"];

    [Theory]
    [MemberData(nameof(RealCodes))]
    public void Real_codes_pass_the_check_and_one_mistyped_character_fails_it(string code)
    {
        Assert.Null(UnifiedSocialCreditCode.Problem(code));
        for (var i = 0; i < 18; i++)
        {
            var typo = code.ToCharArray();
            typo[i] = typo[i] == '1' ? '7' : '1';
            Assert.NotNull(UnifiedSocialCreditCode.Problem(new string(typo)));
        }
        Assert.Contains("should be", UnifiedSocialCreditCode.Problem(code[..17] + (code[17] == '0' ? '1' : '0')));
        Assert.Contains("18 characters", UnifiedSocialCreditCode.Problem(code[..17]));
        Assert.Contains("'I'", UnifiedSocialCreditCode.Problem("I" + code[1..]));
    }

    /// <summary>A valid code no other test uses: 17 random characters and their check character.</summary>
    private static string NewCode()
    {
        const string alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
        var body = "91" + string.Concat(Enumerable.Range(0, 15).Select(_ => alphabet[Random.Shared.Next(alphabet.Length)]));
        return alphabet.Select(c => body + c).Single(c => UnifiedSocialCreditCode.Problem(c) is null);
    }

    [Fact]
    public async Task A_party_is_registered_once_and_a_site_names_it_with_its_register_fields()
    {
        using var inspector = await fleet.As(Roles.Inspector);
        var code = NewCode();
        var created = await inspector.PostAsJsonAsync("/api/parties", new { code = code.ToLowerInvariant(), name = "成都川味餐饮管理有限公司", contact = "王经理", phone = "028-8888 0000" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(code, (string)(await FleetApp.Body(created))["code"]!);
        Assert.Equal(HttpStatusCode.Conflict, (await inspector.PostAsJsonAsync("/api/parties", new { code, name = "again" })).StatusCode);
        var typo = await inspector.PostAsJsonAsync("/api/parties", new { code = code[..17] + (code[17] == '0' ? '1' : '0'), name = "typo" });
        Assert.Equal(HttpStatusCode.BadRequest, typo.StatusCode);
        Assert.Contains("check character", await typo.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await inspector.PostAsJsonAsync("/api/parties", new { code = NewCode(), name = "x", phone = "call me" })).StatusCode);
        using var installer = await fleet.As(Roles.Installer);
        Assert.Equal(HttpStatusCode.Forbidden, (await installer.PostAsJsonAsync("/api/parties", new { code = NewCode(), name = "x" })).StatusCode);

        var site = FleetApp.SiteId();
        var added = await installer.PostAsJsonAsync("/api/sites", new
        {
            id = site, name = "川味小馆", kind = "fume", address = "高新区科学大道 100 号", party = code, cookingHeads = 4, contact = "李师傅", phone = "13800000000",
        });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var stored = await FleetApp.Body(await installer.GetAsync($"/api/sites/{site}"));
        Assert.Equal(("高新区科学大道 100 号", code, 4, 0L), ((string)stored["address"]!, (string)stored["party"]!, (int)stored["cookingHeads"]!, (long)stored["version"]!));
        var party = await FleetApp.Body(await inspector.GetAsync($"/api/parties/{code}"));
        Assert.Equal([site], party["sites"]!.AsArray().Select(s => (string)s!));

        var noParty = await installer.PostAsJsonAsync("/api/sites", new { id = FleetApp.SiteId(), name = "n", kind = "fume", party = NewCode() });
        Assert.Equal(HttpStatusCode.BadRequest, noParty.StatusCode);
        Assert.Contains("POST /api/parties", await noParty.Content.ReadAsStringAsync());
        var headsOnYard = await installer.PostAsJsonAsync("/api/sites", new { id = FleetApp.SiteId(), name = "yard", kind = "dust", cookingHeads = 2 });
        Assert.Equal(HttpStatusCode.BadRequest, headsOnYard.StatusCode);
        Assert.Contains("kitchen", await headsOnYard.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_site_is_edited_and_moved_its_history_says_so_and_it_is_read_as_it_stood_then()
    {
        using var engineer = await fleet.As(Roles.Engineer);
        var site = FleetApp.SiteId();
        Assert.Equal(HttpStatusCode.Created, (await engineer.PostAsJsonAsync("/api/sites",
            new { id = site, name = "Yard", kind = "dust", grid = "G-1", lat = 30.5, lon = 104.0, address = "Old road 1", project = "Line 9 depot" })).StatusCode);
        var beforeMove = DateTimeOffset.UtcNow;
        await Task.Delay(20);

        using var inspector = await fleet.As(Roles.Inspector);
        Assert.Equal(HttpStatusCode.BadRequest, (await inspector.PatchAsJsonAsync($"/api/sites/{site}", new { name = "No reason" })).StatusCode);
        var edited = await inspector.PatchAsJsonAsync($"/api/sites/{site}", new { contact = "Site manager Zhao", reason = "new site manager", version = 0 });
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        Assert.Equal(1L, (long)(await FleetApp.Body(edited))["version"]!);
        var stale = await inspector.PatchAsJsonAsync($"/api/sites/{site}", new { contact = "Someone else", reason = "stale form", version = 0 });
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);

        var moved = await engineer.PatchAsJsonAsync($"/api/sites/{site}",
            new { lat = 30.6, lon = 104.1, address = "New road 2", grid = "G-2", project = "", kind = "noise", reason = "the depot's gate moved" });
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        var now = await FleetApp.Body(moved);
        Assert.Equal(("New road 2", "G-2", "dust", 2L), ((string)now["address"]!, (string)now["grid"]!, (string)now["kind"]!, (long)now["version"]!));
        Assert.Null(now["project"]);

        var history = (await FleetApp.Body(await engineer.GetAsync($"/api/sites/{site}/history"))).AsArray();
        Assert.Equal(["edited", "moved"], history.Select(h => (string)h!["change"]!));
        Assert.Equal("the depot's gate moved", (string)history[1]!["reason"]!);
        var fields = history[1]!["fields"]!.AsArray().ToDictionary(f => (string)f!["field"]!, f => f!);
        Assert.Equal(["address", "grid", "lat", "lon", "project"], fields.Keys.Order());
        Assert.Equal(("Old road 1", "New road 2"), ((string)fields["address"]["before"]!, (string)fields["address"]["after"]!));
        Assert.Null(fields["project"]["after"]);

        var then = await FleetApp.Body(await engineer.GetAsync($"/api/sites/{site}?at={Uri.EscapeDataString(beforeMove.ToString("O"))}"));
        Assert.Equal(("Old road 1", "G-1", "Line 9 depot"), ((string)then["address"]!, (string)then["grid"]!, (string)then["project"]!));
        Assert.Equal("New road 2", (string)(await FleetApp.Body(await engineer.GetAsync($"/api/sites/{site}")))["address"]!);

        using var installer = await fleet.As(Roles.Installer);
        Assert.Equal(HttpStatusCode.Forbidden, (await installer.PatchAsJsonAsync($"/api/sites/{site}", new { name = "x", reason = "r" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await engineer.PatchAsJsonAsync($"/api/sites/{FleetApp.SiteId()}", new { name = "x", reason = "r" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await engineer.PatchAsJsonAsync($"/api/sites/{site}", new { lat = 95.0, reason = "typo" })).StatusCode);
    }

    [Fact]
    public async Task Of_two_edits_made_at_once_from_the_same_version_one_wins_and_the_history_has_one()
    {
        using var engineer = await fleet.As(Roles.Engineer);
        var site = FleetApp.SiteId();
        Assert.Equal(HttpStatusCode.Created, (await engineer.PostAsJsonAsync("/api/sites", new { id = site, name = "Race", kind = "noise" })).StatusCode);
        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            engineer.PatchAsJsonAsync($"/api/sites/{site}", new { name = $"Race {i}", reason = $"edit {i}", version = 0 })));
        Assert.Equal(1, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.OK), a => Assert.Equal(HttpStatusCode.Conflict, a.StatusCode));
        Assert.Single((await FleetApp.Body(await engineer.GetAsync($"/api/sites/{site}/history"))).AsArray());
    }

    [Fact]
    public async Task A_party_edit_keeps_its_history_and_the_register_lists_parties_with_their_sites()
    {
        using var inspector = await fleet.As(Roles.Inspector);
        var code = NewCode();
        Assert.Equal(HttpStatusCode.Created, (await inspector.PostAsJsonAsync("/api/parties", new { code, name = "Old name Ltd", address = "Road 1" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await inspector.PatchAsJsonAsync($"/api/parties/{code}", new { name = "New" })).StatusCode);
        var edited = await FleetApp.Body(await inspector.PatchAsJsonAsync($"/api/parties/{code}", new { name = "New name Ltd", address = "", reason = "renamed (营业执照变更)" }));
        Assert.Equal(("New name Ltd", 1L), ((string)edited["name"]!, (long)edited["version"]!));
        Assert.Null(edited["address"]);
        var history = (await FleetApp.Body(await inspector.GetAsync($"/api/parties/{code}/history"))).AsArray();
        var change = Assert.Single(history);
        Assert.Equal(["address", "name"], change!["fields"]!.AsArray().Select(f => (string)f!["field"]!).Order());
        var listed = await inspector.GetAllAsync("/api/parties", pageSize: 50);
        Assert.Contains(listed, p => (string)p!["code"]! == code);
        Assert.Equal(HttpStatusCode.NotFound, (await inspector.GetAsync($"/api/parties/{NewCode()}")).StatusCode);
    }

    [Fact]
    public async Task The_notice_names_the_party_and_the_address_as_they_stood_when_the_breach_began()
    {
        using var admin = fleet.WithAdminToken();
        var code = NewCode();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/parties", new { code, name = "老字号餐饮有限公司", address = "旧址路 1 号" })).StatusCode);
        var site = FleetApp.SiteId();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/sites",
            new { id = site, name = "老字号", kind = "fume", party = code, address = "旧址路 1 号 一楼", cookingHeads = 3 })).StatusCode);
        var start = DateTimeOffset.UtcNow.AddDays(-1);
        var now = DateTimeOffset.UtcNow;
        var lead = new Lead
        {
            Queue = LeadQueue.Enforcement, Rule = "fume.concentration", Site = site, Devices = new(StringComparer.Ordinal) { $"GW-{site}" },
            StartMinute = start.ToUnixTimeSeconds() / 60, EndMinute = start.ToUnixTimeSeconds() / 60 + 30, WindowMinutes = 30, Value = 3.1, Limit = 2.0,
            Unit = "mg/m3", RaisedAt = now, UpdatedAt = now,
        };
        fleet.Services.GetRequiredService<LeadStore>().Save([lead]);
        // After the breach the operator renames itself and the kitchen moves.
        Assert.Equal(HttpStatusCode.OK, (await admin.PatchAsJsonAsync($"/api/parties/{code}", new { name = "新字号餐饮有限公司", reason = "更名" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PatchAsJsonAsync($"/api/sites/{site}", new { address = "新址路 9 号", reason = "搬迁" })).StatusCode);

        var notice = await admin.GetStringAsync($"/leads/{lead.Id}/notice");
        Assert.Contains("老字号餐饮有限公司", notice);
        Assert.Contains(code, notice);
        Assert.Contains("旧址路 1 号 一楼", notice);
        Assert.DoesNotContain("新字号", notice);
        Assert.DoesNotContain("新址路", notice);
    }

    [Fact]
    public async Task The_registers_and_the_report_download_as_csv_and_xlsx_for_those_who_read_leads()
    {
        using var inspector = await fleet.As(Roles.Inspector);
        var code = NewCode();
        Assert.Equal(HttpStatusCode.Created, (await inspector.PostAsJsonAsync("/api/parties", new { code, name = "=CMD|' /C calc'!A0 餐饮" })).StatusCode);
        var site = FleetApp.SiteId();
        using var engineer = await fleet.As(Roles.Engineer);
        Assert.Equal(HttpStatusCode.Created, (await engineer.PostAsJsonAsync("/api/sites", new { id = site, name = "下载测试店", kind = "fume", party = code, cookingHeads = 6 })).StatusCode);

        var csv = await inspector.GetAsync("/api/registers/sites.csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var text = System.Text.Encoding.UTF8.GetString(await csv.Content.ReadAsByteArrayAsync());
        Assert.StartsWith("\uFEFF点位编号,点位名称,类型,地址,责任主体,统一社会信用代码", text);
        Assert.Contains($"{site},下载测试店,餐饮油烟,,'=CMD|' /C calc'!A0 餐饮,{code},,,6,", text);
        var parties = await inspector.GetStringAsync("/api/registers/parties.csv");
        Assert.Contains($"{code},'=CMD|' /C calc'!A0 餐饮,,,,{site},0", parties);

        foreach (var register in new[] { "sites", "parties", "devices", "permits", "cases" })
        {
            var xlsx = await inspector.GetAsync($"/api/registers/{register}.xlsx");
            Assert.Equal(HttpStatusCode.OK, xlsx.StatusCode);
            Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx.Content.Headers.ContentType!.MediaType);
            Assert.Equal("PK"u8.ToArray(), (await xlsx.Content.ReadAsByteArrayAsync())[..2]);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await inspector.GetAsync("/api/registers/secrets.csv")).StatusCode);
        var report = await inspector.GetAsync("/api/reports/monthly.xlsx?month=2026-11");
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        Assert.Equal("monthly-report-2026-11.xlsx", report.Content.Headers.ContentDisposition!.FileNameStar ?? report.Content.Headers.ContentDisposition.FileName);
        Assert.Equal(HttpStatusCode.BadRequest, (await inspector.GetAsync("/api/reports/monthly.csv?month=2026-13")).StatusCode);
        using var installer = await fleet.As(Roles.Installer);
        Assert.Equal(HttpStatusCode.Forbidden, (await installer.GetAsync("/api/registers/sites.csv")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await installer.GetAsync("/api/reports/monthly.xlsx")).StatusCode);
    }
}
