using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Iot.Fleet.Api;
using Iot.Fleet.Tests.People;
using Xunit;

namespace Iot.Fleet.Tests.Complaints;

/// <summary>The complaints register over HTTP: inspectors record, list and answer; engineers and installers cannot; the
/// complainant's contact is only in the complaint's own view; every field refused with wrong types, sizes and times.</summary>
[Collection(FleetAppCollection.Name)]
public sealed class ComplaintsApiTests(FleetApp fleet)
{
    private const string Contact = "张女士 139 1234 5678";

    private async Task<string> NewSite(HttpClient inspector)
    {
        var site = FleetApp.SiteId();
        using var admin = fleet.WithAdminToken();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/sites", new { id = site, name = "老王饭店", kind = "fume" })).StatusCode);
        return site;
    }

    private static JsonObject Good(string site) => new()
    {
        ["receivedAt"] = DateTimeOffset.UtcNow.AddHours(-2).ToString("O"), ["channel"] = "hotline_12345", ["kind"] = "fume", ["site"] = site,
        ["text"] = "晚上油烟很大，窗户都不能开", ["contact"] = Contact, ["reference"] = "12345-2026-000123",
    };

    private static Task<HttpResponseMessage> Post(HttpClient http, string path, JsonNode body) =>
        http.PostAsync(path, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));

    private static async Task<long> Count(HttpClient http, string site) =>
        (long)(await FleetApp.Body(await http.GetAsync($"/api/complaints?site={site}")))["total"]!;

    [Fact]
    public async Task An_inspector_records_lists_and_answers_a_complaint_and_the_contact_shows_only_in_its_own_view()
    {
        using var inspector = await fleet.As(Roles.Inspector);
        var site = await NewSite(inspector);
        var created = await Post(inspector, "/api/complaints", Good(site));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var complaint = await FleetApp.Body(created);
        var id = (long)complaint["id"]!;
        Assert.Equal($"/api/complaints/{id}", created.Headers.Location!.OriginalString);
        Assert.Equal((Contact, true, false, "老王饭店"), ((string)complaint["contact"]!, (bool)complaint["hasContact"]!, (bool)complaint["overdue"]!, (string)complaint["siteName"]!));
        Assert.Null(complaint["answer"]);

        var list = await FleetApp.Body(await inspector.GetAsync($"/api/complaints?site={site}&answered=false"));
        var item = Assert.Single(list["items"]!.AsArray())!;
        Assert.Equal((id, true), ((long)item["id"]!, (bool)item["hasContact"]!));
        Assert.Null(item["contact"]);
        Assert.DoesNotContain("139 1234 5678", list.ToJsonString());
        Assert.Equal(Contact, (string)(await FleetApp.Body(await inspector.GetAsync($"/api/complaints/{id}")))["contact"]!);

        var answered = await Post(inspector, $"/api/complaints/{id}/answer", new JsonObject { ["channel"] = "phone", ["text"] = "已派员核查，责令安装净化设施" });
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        var answer = (await FleetApp.Body(answered))["answer"]!;
        Assert.Equal(("phone", true), ((string)answer["channel"]!, (bool)answer["onTime"]!));
        Assert.False(string.IsNullOrEmpty((string?)answer["by"]));
        var twice = await Post(inspector, $"/api/complaints/{id}/answer", new JsonObject { ["channel"] = "sms", ["text"] = "again" });
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        Assert.Equal("application/problem+json", twice.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0L, (long)(await FleetApp.Body(await inspector.GetAsync($"/api/complaints?site={site}&answered=false")))["total"]!);
        Assert.Equal(1L, (long)(await FleetApp.Body(await inspector.GetAsync($"/api/complaints?site={site}&answered=true")))["total"]!);
        var month = DateTimeOffset.UtcNow.AddHours(-2).ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM");
        Assert.Contains((await FleetApp.Body(await inspector.GetAsync($"/api/complaints?month={month}")))["items"]!.AsArray(), c => (long)c!["id"]! == id);
        Assert.DoesNotContain((await FleetApp.Body(await inspector.GetAsync("/api/complaints?month=2001-01")))["items"]!.AsArray(), c => (long)c!["id"]! == id);

        // The audit log keeps both writes, and not the contact: engineers read it.
        using var admin = fleet.WithAdminToken();
        var audit = await FleetApp.Body(await admin.GetAsync($"/api/audit?subject=complaint:{id}"));
        Assert.Equal(["complaint.answer", "complaint.create"], audit["items"]!.AsArray().Select(e => (string)e!["action"]!));
        Assert.DoesNotContain("139 1234 5678", audit.ToJsonString());

        // The register's download has it, without the contact, for inspectors only.
        var csv = Encoding.UTF8.GetString(await inspector.GetByteArrayAsync("/api/registers/complaints.csv"));
        Assert.Contains("12345-2026-000123", csv);
        Assert.DoesNotContain("139 1234 5678", csv);
        using var engineer = await fleet.As(Roles.Engineer);
        Assert.Equal(HttpStatusCode.Forbidden, (await engineer.GetAsync("/api/registers/complaints.xlsx")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await engineer.GetAsync("/api/registers/cases.xlsx")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await engineer.GetAsync("/api/reports/monthly")).StatusCode); // the counts are for every lead reader
    }

    [Fact]
    public async Task Engineers_installers_and_strangers_cannot_read_record_or_answer_complaints()
    {
        using var inspector = await fleet.As(Roles.Inspector);
        var site = await NewSite(inspector);
        var id = (long)(await FleetApp.Body(await Post(inspector, "/api/complaints", Good(site))))["id"]!;
        using var engineer = await fleet.As(Roles.Engineer);
        using var installer = await fleet.As(Roles.Installer);
        using var anonymous = fleet.Anonymous();
        foreach (var (who, expected) in new[] { (engineer, HttpStatusCode.Forbidden), (installer, HttpStatusCode.Forbidden), (anonymous, HttpStatusCode.Unauthorized) })
        {
            Assert.Equal(expected, (await who.GetAsync("/api/complaints")).StatusCode);
            Assert.Equal(expected, (await who.GetAsync($"/api/complaints/{id}")).StatusCode);
            Assert.Equal(expected, (await Post(who, "/api/complaints", Good(site))).StatusCode);
            Assert.Equal(expected, (await Post(who, $"/api/complaints/{id}/answer", new JsonObject { ["channel"] = "phone", ["text"] = "x" })).StatusCode);
        }
        Assert.Equal(1L, await Count(inspector, site));
        using var admin = fleet.WithAdminToken();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/complaints/{id}")).StatusCode);
    }

    /// <summary>Every field of a complaint, one wrong value at a time: wrong types, sizes, times, codes and references.</summary>
    public static TheoryData<string, string> WrongComplaints => new()
    {
        { "receivedAt", "null" }, { "receivedAt", "\"yesterday\"" }, { "receivedAt", "12345" }, { "receivedAt", "true" },
        { "receivedAt", "\"1999-12-31T23:59:00Z\"" }, { "receivedAt", "\"0001-01-01T00:00:00Z\"" }, { "receivedAt", "\"2999-01-01T00:00:00Z\"" },
        { "receivedAt", "\"FUTURE\"" }, { "receivedAt", "\"2026-02-30T10:00:00+08:00\"" },
        { "channel", "null" }, { "channel", "\"\"" }, { "channel", "\"fax\"" }, { "channel", "\"HOTLINE_12345\"" }, { "channel", "12345" }, { "channel", "[\"phone\"]" },
        { "kind", "null" }, { "kind", "\"smoke\"" }, { "kind", "1" }, { "kind", "{}" },
        { "site", "\"NO-SUCH-SITE\"" }, { "site", "42" }, { "site", "\"" + new string('S', 65) + "\"" },
        { "text", "null" }, { "text", "\"   \"" }, { "text", "\"" + new string('油', 2001) + "\"" }, { "text", "\"bell\\u0007\"" }, { "text", "[1,2]" },
        { "contact", "\"" + new string('1', 101) + "\"" }, { "contact", "\"a\\u0000b\"" }, { "contact", "139" },
        { "lead", "\"abc\"" }, { "lead", "999999999" }, { "lead", "-1" }, { "lead", "1.5" }, { "lead", "99999999999999999999999" },
        { "reference", "\"" + new string('R', 65) + "\"" }, { "reference", "\"a\\nb\"" },
        { "address", "\"" + new string('路', 201) + "\"" },
    };

    [Theory]
    [MemberData(nameof(WrongComplaints))]
    public async Task A_wrong_field_is_a_400_problem_and_nothing_is_recorded(string field, string json)
    {
        using var inspector = await fleet.As(Roles.Inspector);
        var site = await NewSite(inspector);
        var body = Good(site);
        var value = json.Replace("\"FUTURE\"", $"\"{DateTimeOffset.UtcNow.AddMinutes(10):O}\"");
        body[field] = JsonNode.Parse(value);
        var answer = await Post(inspector, "/api/complaints", body);
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
        Assert.False(string.IsNullOrWhiteSpace((string?)(await FleetApp.Body(answer))["detail"]));
        Assert.Equal(0L, await Count(inspector, site));
    }

    [Fact]
    public async Task A_complaint_needs_a_site_or_an_address_and_a_body_that_is_an_object()
    {
        using var inspector = await fleet.As(Roles.Inspector);
        var site = await NewSite(inspector);
        var nowhere = Good(site);
        nowhere.Remove("site");
        Assert.Contains("address", (string)(await FleetApp.Body(await Post(inspector, "/api/complaints", nowhere)))["detail"]!);
        nowhere["address"] = "西湖区文三路 1 号";
        Assert.Equal(HttpStatusCode.Created, (await Post(inspector, "/api/complaints", nowhere)).StatusCode);
        foreach (var raw in new[] { "", "[]", "\"complaint\"", "{\"receivedAt\":", "null" })
            Assert.Equal(HttpStatusCode.BadRequest, (await inspector.PostAsync("/api/complaints", new StringContent(raw, Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType,
            (await inspector.PostAsync("/api/complaints", new StringContent(Good(site).ToJsonString(), Encoding.UTF8, "text/plain"))).StatusCode);
        Assert.Equal(0L, await Count(inspector, site));
    }

    public static TheoryData<string, string> WrongAnswers => new()
    {
        { "channel", "null" }, { "channel", "\"pigeon\"" }, { "channel", "\"case_feedback\"" }, { "channel", "7" },
        { "text", "null" }, { "text", "\"\"" }, { "text", "\"" + new string('复', 1001) + "\"" }, { "text", "{}" },
        { "by", "\"" + new string('人', 51) + "\"" }, { "by", "\"a\\u001bb\"" }, { "by", "[]" },
        { "answeredAt", "\"BEFORE\"" }, { "answeredAt", "\"FUTURE\"" }, { "answeredAt", "\"1999-01-01T00:00:00Z\"" }, { "answeredAt", "\"soon\"" }, { "answeredAt", "1" },
    };

    [Theory]
    [MemberData(nameof(WrongAnswers))]
    public async Task A_wrong_answer_is_a_400_problem_and_the_complaint_stays_unanswered(string field, string json)
    {
        using var inspector = await fleet.As(Roles.Inspector);
        var site = await NewSite(inspector);
        var id = (long)(await FleetApp.Body(await Post(inspector, "/api/complaints", Good(site))))["id"]!;
        var body = new JsonObject { ["channel"] = "letter", ["text"] = "书面答复已寄出" };
        body[field] = JsonNode.Parse(json.Replace("\"BEFORE\"", $"\"{DateTimeOffset.UtcNow.AddHours(-3):O}\"")
            .Replace("\"FUTURE\"", $"\"{DateTimeOffset.UtcNow.AddHours(1):O}\""));
        var answer = await Post(inspector, $"/api/complaints/{id}/answer", body);
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
        Assert.Null((await FleetApp.Body(await inspector.GetAsync($"/api/complaints/{id}")))["answer"]);
    }

    [Fact]
    public async Task Unknown_complaints_and_wrong_filters_are_refused_with_their_status()
    {
        using var inspector = await fleet.As(Roles.Inspector);
        Assert.Equal(HttpStatusCode.NotFound, (await inspector.GetAsync("/api/complaints/987654321")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Post(inspector, "/api/complaints/987654321/answer", new JsonObject { ["channel"] = "phone", ["text"] = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await inspector.GetAsync("/api/complaints/abc")).StatusCode);
        foreach (var query in new[] { "month=2026-13", "month=26-01", "month=1999-12", "month=abc", "answered=maybe", "answered=1", "limit=0", "limit=x", "cursor=garbage" })
        {
            var answer = await inspector.GetAsync($"/api/complaints?{query}");
            Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, $"{query}: {answer.StatusCode}");
            Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
        }
        var words = await FleetApp.Body(await inspector.GetAsync("/api/complaints/words"));
        Assert.Equal(["hotline_12345", "petition", "online", "phone", "walk_in"], words["channels"]!.AsArray().Select(c => (string)c!["id"]!));
        Assert.Equal("12345 热线", (string)words["channels"]![0]!["zh"]!);
        Assert.DoesNotContain(words["answerChannels"]!.AsArray(), c => (string)c!["id"]! == "case_feedback");
    }
}
