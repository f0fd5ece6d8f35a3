using System.Net.Http.Json;
using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using Iot.Fleet.Cases;
using Iot.Fleet.Leads;
using Iot.Fleet.Rules;
using Iot.Fleet.Tests.People;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Iot.Fleet.Tests.Cases;

/// <summary>The loop's steps of issue 18 over HTTP in the fleet itself (TestServer, real SQLite): 立案 → 派遣 → 到场签到 → 处置
/// → 处罚立案 → 责令限期改正 → 复查 → 核查 → 结案 (with the fine) → 反馈, each audited, and each refused as an inspector trying
/// the wrong thing would be refused: wrong order, wrong person, bad or duplicate case numbers, bad fines, absurd places.</summary>
[Collection(FleetAppCollection.Name)]
public sealed class LoopStepsApiTests(FleetApp fleet)
{
    // The site's coordinates (a street in Hangzhou) and a point about 100 m north of it.
    private const double SiteLat = 30.27415, SiteLon = 120.15515;

    [Fact]
    public async Task A_penalty_case_walks_the_bureaus_loop_with_check_in_case_number_verification_fine_and_feedback_each_audited()
    {
        var (inspector, me) = await Inspector();
        var (colleague, other) = await Inspector();
        using (inspector)
        using (colleague)
        {
            var (site, lead) = await FumeLead(value: 6.0); // three times the limit: not minor
            await Step(inspector, lead, "acknowledge", new { note = "立案" });
            await Step(inspector, lead, "dispatch", new { });
            var arrived = await Step(inspector, lead, "checkin", new { lat = SiteLat + 0.0009, lon = SiteLon, accuracy = 12.5 });
            var checkIn = arrived["checkIn"]!;
            Assert.InRange((double)checkIn["distanceM"]!, 95, 105);
            Assert.Equal((false, 12.5, me), ((bool)checkIn["far"]!, (double)checkIn["accuracyM"]!, (string)checkIn["by"]!));
            Assert.Equal((string)checkIn["at"]!, (string)arrived["respondedAt"]!);
            Assert.Equal("dispatched", (string)arrived["status"]!);

            // The arrival is the check-in's: a typed one on top of it is refused.
            await Refused(inspector, lead, "result", new { result = "violation_found", note = "x", arrivedAt = DateTimeOffset.UtcNow }, HttpStatusCode.BadRequest, "check-in");
            var found = await Step(inspector, lead, "result", new { result = "violation_found", note = "排风机运行，净化设施断电" });
            Assert.Equal(((string)checkIn["at"]!, "violation_found"), ((string)found["respondedAt"]!, (string)found["status"]!));

            var filed = await Step(inspector, lead, "file", new { caseNumber = $"  杭综执罚立〔2026〕 {lead} 号 " });
            Assert.Equal($"杭综执罚立〔2026〕 {lead} 号", (string)filed["caseNumber"]!);
            await Step(inspector, lead, "deadline", new { due = DateTimeOffset.UtcNow.AddDays(3), note = "责令三日内改正" });
            await Step(inspector, lead, "recheck", new { result = "rectified", note = "净化设施已恢复运行" });

            await Refused(inspector, lead, "close", new { outcome = "confirmed", fineYuan = 5000 }, HttpStatusCode.Conflict, "not verified");
            await Refused(inspector, lead, "verify", new { note = "my own result" }, HttpStatusCode.Forbidden, "someone else");
            var verified = await Step(colleague, lead, "verify", new { note = "复查照片与监测数据一致" });
            Assert.Equal(other, (string)verified["verification"]!["by"]!);
            await Refused(colleague, lead, "verify", new { note = "again" }, HttpStatusCode.Conflict, "already verified");

            await Refused(inspector, lead, "close", new { outcome = "confirmed" }, HttpStatusCode.BadRequest, "fineYuan");
            await Refused(inspector, lead, "close", new { outcome = "confirmed", fineYuan = -1 }, HttpStatusCode.BadRequest, "negative");
            await Refused(inspector, lead, "close", new { outcome = "confirmed", fineYuan = 100.005 }, HttpStatusCode.BadRequest, "two decimals");
            await Refused(inspector, lead, "close", new { outcome = "confirmed", fineYuan = 1e12 }, HttpStatusCode.BadRequest, "check the amount");
            await Refused(inspector, lead, "close", new { outcome = "confirmed", fineYuan = "five thousand" }, HttpStatusCode.BadRequest, null);
            var closed = await Step(inspector, lead, "close", new { outcome = "confirmed", fineYuan = 5000.50m, note = "处罚决定书已送达" });
            Assert.Equal(("confirmed", 5000.50m), ((string)closed["status"]!, (decimal)closed["fineYuan"]!));

            await Refused(inspector, lead, "feedback", new { channel = "wechat", text = "已处理" }, HttpStatusCode.BadRequest, "channel");
            await Refused(inspector, lead, "feedback", new { channel = "complainant", text = " " }, HttpStatusCode.BadRequest, "text");
            await Refused(inspector, lead, "feedback", new { channel = "complainant", text = new string('字', 501) }, HttpStatusCode.BadRequest, "500");
            await Step(inspector, lead, "feedback", new { channel = "complainant", text = "已到场处理并立案处罚，感谢监督。" });
            var fed = await Step(colleague, lead, "feedback", new { channel = "hotline_12345", text = "工单已办结" });
            Assert.Equal([("complainant", me), ("hotline_12345", other)], fed["feedback"]!.AsArray().Select(f => ((string)f!["channel"]!, (string)f["by"]!)));
            Assert.Equal(["acknowledge", "dispatch", "checkin", "result", "file", "deadline", "recheck", "verify", "close", "feedback", "feedback"],
                fed["history"]!.AsArray().Select(h => (string)h!["step"]!));
            Assert.Equal(site, (string)fed["site"]!);

            using var db = fleet.Database();
            var audit = db.Query<(string Action, string Actor)>("SELECT action, actor FROM audit_log WHERE subject = @subject ORDER BY id", new { subject = $"lead:{lead}" }).ToList();
            Assert.Equal(["case.acknowledge", "case.dispatch", "case.checkin", "case.result", "case.file", "case.deadline", "case.recheck", "case.verify", "case.close",
                "case.feedback", "case.feedback"], audit.Select(a => a.Action));
            Assert.Equal(other, audit.Single(a => a.Action == "case.verify").Actor);
            Assert.Equal(500050L, db.ExecuteScalar<long>("SELECT fine_fen FROM cases WHERE lead = @lead", new { lead }));
        }
    }

    [Fact]
    public async Task Steps_out_of_order_and_callers_without_the_role_are_refused_and_change_nothing()
    {
        var (inspector, _) = await Inspector();
        using (inspector)
        {
            var (_, lead) = await FumeLead(value: 6.0);
            await Refused(inspector, lead, "feedback", new { channel = "party", text = "x" }, HttpStatusCode.Conflict, "it is open");
            await Refused(inspector, lead, "checkin", new { lat = SiteLat, lon = SiteLon, accuracy = 10 }, HttpStatusCode.Conflict, "it is open");
            await Step(inspector, lead, "acknowledge", new { });
            await Refused(inspector, lead, "file", new { caseNumber = "罚 1" }, HttpStatusCode.Conflict, "acknowledged");
            await Refused(inspector, lead, "verify", new { note = "x" }, HttpStatusCode.Conflict, "acknowledged");
            await Step(inspector, lead, "dispatch", new { });
            await Refused(inspector, lead, "verify", new { note = "x" }, HttpStatusCode.Conflict, "dispatched");

            using var engineer = await fleet.As("engineer");
            Assert.Equal(HttpStatusCode.Forbidden, (await engineer.PostAsJsonAsync($"/api/leads/{lead}/case/checkin", new { lat = SiteLat, lon = SiteLon, accuracy = 10 })).StatusCode);
            using var installer = await fleet.As("installer");
            Assert.Equal(HttpStatusCode.Forbidden, (await installer.PostAsJsonAsync($"/api/leads/{lead}/case/feedback", new { channel = "party", text = "x" })).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await inspector.PostAsJsonAsync($"/api/leads/{lead + 1_000_000}/case/file", new { caseNumber = "罚 2" })).StatusCode);

            var view = (await inspector.GetFromJsonAsync<JsonObject>($"/api/leads/{lead}/case"))!;
            Assert.Equal(["acknowledge", "dispatch"], view["history"]!.AsArray().Select(h => (string)h!["step"]!));
            Assert.Null(view["checkIn"]);
            Assert.Empty(view["feedback"]!.AsArray());
        }
    }

    [Fact]
    public async Task Case_numbers_are_checked_unique_in_the_bureau_and_never_on_a_notice()
    {
        var (inspector, _) = await Inspector();
        using (inspector)
        {
            var (_, first) = await Found(inspector, value: 6.0);
            var (_, second) = await Found(inspector, value: 6.0);
            var number = $"杭综执罚立〔2026〕{first}号";
            await Refused(inspector, first, "file", new { caseNumber = "" }, HttpStatusCode.BadRequest, "caseNumber");
            await Refused(inspector, first, "file", new { }, HttpStatusCode.BadRequest, "caseNumber");
            await Refused(inspector, first, "file", new { caseNumber = new string('号', CaseRules.MaxCaseNumberLength + 1) }, HttpStatusCode.BadRequest, "at most");
            await Refused(inspector, first, "file", new { caseNumber = "罚\u00071" }, HttpStatusCode.BadRequest, "control");
            await Refused(inspector, first, "file", new { caseNumber = 12345 }, HttpStatusCode.BadRequest, null);
            await Step(inspector, first, "file", new { caseNumber = number });
            await Refused(inspector, first, "file", new { caseNumber = number + "-2" }, HttpStatusCode.Conflict, "already filed");
            await Refused(inspector, second, "file", new { caseNumber = $" {number}  " }, HttpStatusCode.Conflict, $"lead {first}");
            Assert.Null((await inspector.GetFromJsonAsync<JsonObject>($"/api/leads/{second}/case"))!["caseNumber"]);

            // A minor first offence is a notice, not a penalty case; and an unfiled case closes without a fine.
            var (_, minor) = await Found(inspector, value: 2.2);
            Assert.Equal("noticed", (string)(await inspector.GetFromJsonAsync<JsonObject>($"/api/leads/{minor}/case"))!["status"]!);
            await Refused(inspector, minor, "file", new { caseNumber = number + "-3" }, HttpStatusCode.Conflict, "notice");
            using var colleague = await fleet.As("inspector");
            await Step(colleague, second, "verify", new { note = "ok" });
            await Refused(inspector, second, "close", new { outcome = "confirmed", fineYuan = 100 }, HttpStatusCode.Conflict, "file it");
            await Refused(inspector, second, "close", new { outcome = "dismissed", reason = "duplicate", fineYuan = 100 }, HttpStatusCode.BadRequest, "confirmed");
        }
    }

    [Fact]
    public async Task A_check_in_with_absurd_coordinates_is_refused_a_far_one_is_kept_and_flagged_and_a_typed_one_needs_a_reason()
    {
        var (inspector, me) = await Inspector();
        using (inspector)
        {
            var (_, lead) = await Dispatched(inspector);
            object[] absurd =
            [
                new { lat = 91.0, lon = SiteLon, accuracy = 10 }, new { lat = SiteLat, lon = -180.5, accuracy = 10 }, new { lat = 0, lon = 0, accuracy = 10 },
                new { lat = SiteLat, lon = SiteLon, accuracy = 0 }, new { lat = SiteLat, lon = SiteLon, accuracy = -5 }, new { lat = SiteLat, lon = SiteLon, accuracy = 1e9 },
                new { lat = SiteLat, lon = SiteLon }, new { lat = SiteLat, accuracy = 10 }, new { }, new { reason = "no signal" },
                new { lat = SiteLat, lon = SiteLon, accuracy = 10, arrivedAt = DateTimeOffset.UtcNow, reason = "both" },
                new { arrivedAt = DateTimeOffset.UtcNow }, new { arrivedAt = DateTimeOffset.UtcNow, reason = "  " },
                new { arrivedAt = DateTimeOffset.UtcNow.AddHours(1), reason = "basement" }, new { arrivedAt = DateTimeOffset.UtcNow.AddDays(-2), reason = "basement" },
            ];
            foreach (var body in absurd) await Refused(inspector, lead, "checkin", body, HttpStatusCode.BadRequest, null);
            var asText = await inspector.PostAsync($"/api/leads/{lead}/case/checkin", new StringContent("""{"lat":"north","lon":1,"accuracy":1}""", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, asText.StatusCode);
            Assert.Null((await inspector.GetFromJsonAsync<JsonObject>($"/api/leads/{lead}/case"))!["checkIn"]);

            // 2 km off, with a phone sure to 50 m: kept, with its distance, and flagged.
            var far = (await Step(inspector, lead, "checkin", new { lat = SiteLat + 0.018, lon = SiteLon, accuracy = 50 }))["checkIn"]!;
            Assert.True((bool)far["far"]!);
            Assert.InRange((double)far["distanceM"]!, 1950, 2050);
            await Refused(inspector, lead, "checkin", new { lat = SiteLat, lon = SiteLon, accuracy = 10 }, HttpStatusCode.Conflict, "already checked in");

            var (_, basement) = await Dispatched(inspector);
            var at = DateTimeOffset.UtcNow.AddSeconds(-2);
            var typed = (await Step(inspector, basement, "checkin", new { arrivedAt = at, reason = "地下车库无定位信号" }))["checkIn"]!;
            Assert.Equal(("地下车库无定位信号", false, me), ((string)typed["reason"]!, (bool)typed["far"]!, (string)typed["by"]!));
            Assert.Null(typed["lat"]);
            Assert.Null(typed["distanceM"]);

            // Typing the arrival at the result, without a check-in, needs the reason too.
            var (_, direct) = await Dispatched(inspector);
            await Refused(inspector, direct, "result", new { result = "no_violation", note = "x", arrivedAt = at }, HttpStatusCode.BadRequest, "reason");
            var result = await Step(inspector, direct, "result", new { result = "no_violation", note = "x", arrivedAt = at, arrivalReason = "手机没电" });
            Assert.Equal("手机没电", (string)result["checkIn"]!["reason"]!);
        }
    }

    [Fact]
    public async Task The_pages_learn_the_new_steps_and_the_feedback_channels_from_the_fleet()
    {
        using var inspector = await fleet.As("inspector");
        var meta = (await inspector.GetFromJsonAsync<JsonObject>("/api/meta"))!;
        var steps = meta["caseSteps"]!.AsObject();
        foreach (var step in new[] { CaseSteps.CheckIn, CaseSteps.File, CaseSteps.Verify, CaseSteps.Feedback })
            Assert.Equal(CaseSteps.AllowedFrom[step], steps[step]!.AsArray().Select(s => (string)s!));
        Assert.DoesNotContain("open", steps["feedback"]!.AsArray().Select(s => (string)s!));
        var channels = (await inspector.GetFromJsonAsync<JsonArray>("/api/cases/feedback-channels"))!;
        Assert.Equal(CaseRules.FeedbackChannels, channels.Select(c => (string)c!["id"]!));
        Assert.Contains(channels, c => (string)c!["id"]! == "hotline_12345" && ((string)c["zh"]!).Contains("12345") && ((string)c["en"]!).Contains("12345"));
        Assert.All(channels, c => Assert.NotEqual((string)c!["id"]!, (string)c["zh"]!));
    }

    private async Task<(HttpClient Http, string Login)> Inspector()
    {
        var (login, password) = await fleet.NewPerson("inspector");
        return (await fleet.SignIn(login, password), login);
    }

    private async Task<(string Site, long Lead)> FumeLead(double value)
    {
        var site = FleetApp.SiteId();
        using var admin = fleet.WithAdminToken();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/sites",
            new { id = site, name = "餐馆 Restaurant", kind = "fume", grid = $"G-{site}", lat = SiteLat, lon = SiteLon })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/squads",
            new { id = $"SQ-{site}", name = "中队 Squad", grids = new[] { $"G-{site}" }, members = Array.Empty<string>() })).StatusCode);
        var now = DateTimeOffset.UtcNow;
        var minute = now.ToUnixTimeSeconds() / 60 - 25;
        var lead = new Lead
        {
            Queue = LeadQueue.Enforcement, Rule = "fume.concentration", Site = site, Devices = new(StringComparer.Ordinal) { $"GW-{site}" }, StartMinute = minute,
            EndMinute = minute + 2, WindowMinutes = 10, Value = value, Limit = 2.0, Unit = "mg/m³", RaisedAt = now.AddSeconds(-30), UpdatedAt = now,
        };
        fleet.Services.GetRequiredService<LeadStore>().Save([lead]);
        return (site, lead.Id);
    }

    private async Task<(string Site, long Lead)> Dispatched(HttpClient inspector, double value = 6.0)
    {
        var (site, lead) = await FumeLead(value);
        await Step(inspector, lead, "acknowledge", new { });
        await Step(inspector, lead, "dispatch", new { });
        return (site, lead);
    }

    private async Task<(string Site, long Lead)> Found(HttpClient inspector, double value)
    {
        var (site, lead) = await Dispatched(inspector, value);
        await Step(inspector, lead, "result", new { result = "violation_found", note = "现场发现" });
        return (site, lead);
    }

    private static async Task<JsonObject> Step(HttpClient http, long lead, string step, object body)
    {
        var answer = await http.PostAsJsonAsync($"/api/leads/{lead}/case/{step}", body);
        var text = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.IsSuccessStatusCode, $"{step}: {(int)answer.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Refused with the status as a problem document whose detail says why (when <paramref name="says"/> is given).</summary>
    private static async Task Refused(HttpClient http, long lead, string step, object body, HttpStatusCode status, string? says)
    {
        var answer = await http.PostAsJsonAsync($"/api/leads/{lead}/case/{step}", body);
        var text = await answer.Content.ReadAsStringAsync();
        Assert.True(status == answer.StatusCode, $"{step} {System.Text.Json.JsonSerializer.Serialize(body)}: expected {(int)status}, got {(int)answer.StatusCode} {text}");
        Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
        if (says is not null) Assert.Contains(says, text);
    }
}
