using System.Net.Http.Json;
using System.Net;
using System.Text.Json.Nodes;
using System.Text;
using Iot.Fleet.Leads;
using Iot.Fleet.Meters;
using Iot.Fleet.Rules;
using Iot.Fleet.Tests.People;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Iot.Fleet.Tests.Fuzz;

/// <summary>The meter register, background, notice service and monitoring-point endpoints against wrong types and sizes in
/// every field (TestServer, real SQLite): each refusal is a 400 that says why, nothing is a 500, and nothing wrong is stored.</summary>
[Collection(FleetAppCollection.Name)]
public sealed class EvidenceEndpointFuzzTests(FleetApp fleet)
{
    /// <summary>Values of the wrong type or size for any field.</summary>
    private static readonly JsonNode?[] Hostile =
    [
        123, -1, 1e308, true, false, new JsonArray(), new JsonArray(1, 2), new JsonObject(), new JsonObject { ["$ne"] = 1 },
        "", " ", new string('长', 5000), "\u0000", "line\nbreak", "2026-13-45", "yesterday", "9999-12-31T00:00:00Z", "0001-01-01", "NaN",
        "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=", "data:application/pdf;base64,!!!", "<script>alert(1)</script>",
    ];

    [Fact]
    public async Task Wrong_types_and_sizes_in_every_field_are_400s_and_never_500s()
    {
        using var admin = fleet.WithAdminToken();
        var site = FleetApp.SiteId();
        var device = $"GW-{site}";
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/sites", new { id = site, name = "工地", kind = "noise" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/devices", new { id = device, site })).StatusCode);
        var meter = await FleetApp.Body(await admin.PostAsJsonAsync($"/api/devices/{device}/meters", new { kind = "noise", make = "爱华", model = "AWA5688", serial = "S1" }));
        var now = DateTimeOffset.UtcNow;
        var lead = new Lead
        {
            Queue = LeadQueue.Enforcement, Rule = "noise.day_leq", Site = site, Devices = new(StringComparer.Ordinal) { device }, StartMinute = now.ToUnixTimeSeconds() / 60 - 60,
            EndMinute = now.ToUnixTimeSeconds() / 60 - 50, WindowMinutes = 20, Value = 75, Limit = 70, Unit = "dB(A)", RaisedAt = now, UpdatedAt = now,
        };
        fleet.Services.GetRequiredService<LeadStore>().Save([lead]);
        var today = DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd");

        var endpoints = new (string Path, JsonObject Good)[]
        {
            ($"/api/devices/{device}/meters", new() { ["kind"] = "noise", ["make"] = "爱华", ["model"] = "AWA6228+", ["serial"] = "S2", ["typeApproval"] = "CMC 1", ["installedFrom"] = now.AddDays(-1) }),
            ($"/api/meters/{(long)meter["id"]!}/calibrations", new() { ["certificate"] = "C-1", ["institution"] = "计量院", ["method"] = "JJG 188", ["calibratedOn"] = today, ["validUntil"] = DateOnly.FromDateTime(DateTime.UtcNow).AddYears(1).ToString("yyyy-MM-dd") }),
            ($"/api/sites/{site}/background", new() { ["level"] = 48.5, ["measuredAt"] = now.AddHours(-1), ["measuredBy"] = "李工", ["note"] = "停工时测量" }),
            ($"/api/leads/{lead.Id}/notice/services", new() { ["method"] = "post", ["servedAt"] = now.AddMinutes(-1), ["servedBy"] = "张三", ["recipient"] = "王五" }),
            ($"/api/sites/{site}/monitoring-point", new() { ["district"] = "滨江区", ["address"] = "江南大道 1 号" }),
        };
        var answers = new List<(string Path, string Body, HttpStatusCode Code)>();
        foreach (var (path, good) in endpoints)
        {
            // The good body is accepted: the refusals below are about the one wrong field.
            var accepted = await admin.PostAsync(path, Json(good.ToJsonString()));
            Assert.True(accepted.IsSuccessStatusCode, $"{path}: {(int)accepted.StatusCode} {await accepted.Content.ReadAsStringAsync()}");
            foreach (var field in good.Select(p => p.Key).ToList())
                foreach (var value in Hostile)
                {
                    var body = good.DeepClone().AsObject();
                    body[field] = value?.DeepClone();
                    var text = body.ToJsonString();
                    answers.Add((path, text, (await admin.PostAsync(path, Json(text))).StatusCode));
                }
            foreach (var text in new[] { "", "null", "[]", "\"x\"", "{", "{\"kind\":", "1", new string('[', 10_000), "{\"a\":" + new string('1', 100_000) + "}" })
                answers.Add((path, text, (await admin.PostAsync(path, Json(text))).StatusCode));
        }
        Assert.DoesNotContain(answers, a => (int)a.Code >= 500);
        Assert.All(answers, a => Assert.True(a.Code is HttpStatusCode.BadRequest or HttpStatusCode.Created or HttpStatusCode.OK, $"{a.Path} {a.Body[..Math.Min(200, a.Body.Length)]}: {a.Code}"));

        // Fields whose wrong values must each be refused, not stored.
        foreach (var (path, field, value) in new (string, string, JsonNode?)[]
                 {
                     (endpoints[0].Path, "kind", "laser"), (endpoints[0].Path, "kind", 7), (endpoints[0].Path, "kind", -1), (endpoints[0].Path, "make", new string('x', 201)), (endpoints[0].Path, "serial", ""),
                     (endpoints[0].Path, "installedFrom", "9999-12-31T00:00:00Z"), (endpoints[0].Path, "make", 5),
                     (endpoints[1].Path, "validUntil", "2000-01-01"), (endpoints[1].Path, "calibratedOn", "2026-02-30"), (endpoints[1].Path, "certificate", null),
                     (endpoints[1].Path, "scan", "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4="), (endpoints[1].Path, "scan", "not a data url"),
                     (endpoints[1].Path, "scan", "data:application/pdf;base64," + new string('A', MeterRegister.MaxScanBytes / 3 * 4 + 1000)),
                     (endpoints[2].Path, "level", "loud"), (endpoints[2].Path, "level", 1e308), (endpoints[2].Path, "level", 5), (endpoints[2].Path, "measuredBy", null),
                     (endpoints[3].Path, "method", "fax"), (endpoints[3].Path, "servedAt", "9999-12-31T00:00:00Z"), (endpoints[3].Path, "recipient", new string('x', 201)),
                     (endpoints[4].Path, "district", ""), (endpoints[4].Path, "address", new JsonArray()),
                 })
        {
            var body = endpoints.Single(e => e.Path == path).Good.DeepClone().AsObject();
            body[field] = value?.DeepClone();
            var answer = await admin.PostAsync(path, Json(body.ToJsonString()));
            Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, $"{path} {field}: {(int)answer.StatusCode}");
        }

        // What was stored is what a good body says: no kind from a number, no text of the wrong size.
        var stored = (await admin.GetFromJsonAsync<JsonObject>($"/api/devices/{device}/meters?limit=1000"))!["items"]!.AsArray();
        Assert.All(stored, m => Assert.Contains((string)m!["kind"]!, new[] { "noise", "dust", "fume" }));
        Assert.All(stored, m => Assert.InRange(((string)m!["make"]!).Length, 1, MeterRegister.MaxText));

        // Unknown subjects are 404s, not 500s.
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/api/devices/GW-NOBODY/meters", Json(endpoints[0].Good.ToJsonString()))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/api/meters/999999/calibrations", Json(endpoints[1].Good.ToJsonString()))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/api/sites/NO-SITE/background", Json(endpoints[2].Good.ToJsonString()))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/api/leads/999999/notice/services", Json(endpoints[3].Good.ToJsonString()))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/api/sites/NO-SITE/monitoring-point", Json(endpoints[4].Good.ToJsonString()))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/calibrations/999999/scan")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync($"/api/devices/{device}/meters?limit=0")).StatusCode);
    }

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");
}
