using System.Net.Http.Json;
using System.Net;
using System.Text.Json.Nodes;
using System.Text;
using Iot.Fleet.Api;
using Iot.Fleet.People;
using MQTTnet;
using Iot.Stack;
using Iot.Testing;
using Xunit.Abstractions;
using Xunit;
using static Iot.Fleet.Tests.EndToEnd.PipelineFixture;

namespace Iot.Fleet.Tests.EndToEnd;

/// <summary>
/// Roles that match the job (issue 11, item 4), against the real servers: credentials only for engineers and admins and
/// never undoing a revoke unasked; no lead queue for installers; commissioning per device; the two-person rule.
/// </summary>
public sealed class RolesEndToEndTests(SecuredFleet secured, ITestOutputHelper output) : IClassFixture<SecuredFleet>
{
    private FleetServer Fleet => secured.Fleet;

    [Fact]
    public async Task An_installer_gets_no_credentials_and_nobody_undoes_a_revoke_without_saying_so()
    {
        var (installer, _) = await FleetPeople.SignInAs(Fleet, "installer");
        var (engineer, engineerLogin) = await FleetPeople.SignInAs(Fleet, "engineer");
        using var _i = installer;
        using var _e = engineer;
        Assert.Equal(HttpStatusCode.Created, (await engineer.PostAsJsonAsync("/api/sites", new { id = "R-CRED", name = "Dumpling house", kind = "fume" })).StatusCode);

        // Registering a gateway directly hands out its password: engineers and admins only.
        Assert.Equal(HttpStatusCode.Forbidden, (await installer.PostAsJsonAsync("/api/devices", new { id = "GW-CRED-2", site = "R-CRED" })).StatusCode);
        var created = await engineer.PostAsJsonAsync("/api/devices", new { id = "GW-CRED-1", site = "R-CRED" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var first = (await created.Content.ReadFromJsonAsync<JsonObject>())!["credentials"]!;
        await (await secured.Gateway((string)first["username"]!, (string)first["password"]!)).DisposeAsync();

        // An installer cannot mint a password for a gateway it does not hold, nor reinstate one.
        foreach (var path in new[] { "/api/devices/GW-CRED-1/credentials", "/api/devices/GW-CRED-1/credentials?reinstate=true" })
        {
            var refused = await installer.PostAsync(path, null);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.DoesNotContain("password", await refused.Content.ReadAsStringAsync());
        }

        // Revoked: new credentials are refused with a reason until someone asks to reinstate it.
        Assert.Equal(HttpStatusCode.OK, (await engineer.PostAsync("/api/devices/GW-CRED-1/revoke", null)).StatusCode);
        Assert.True(await secured.Refused((string)first["username"]!, (string)first["password"]!));
        var quiet = await engineer.PostAsync("/api/devices/GW-CRED-1/credentials", null);
        Assert.Equal(HttpStatusCode.Conflict, quiet.StatusCode);
        Assert.Equal("application/problem+json", quiet.Content.Headers.ContentType?.MediaType);
        var detail = (string)JsonNode.Parse(await quiet.Content.ReadAsStringAsync())!["detail"]!;
        output.WriteLine($"409: {detail}");
        Assert.Contains("revoked", detail);
        Assert.Contains("reinstate=true", detail);

        var reinstated = await engineer.PostAsync("/api/devices/GW-CRED-1/credentials?reinstate=true", null);
        Assert.Equal(HttpStatusCode.OK, reinstated.StatusCode);
        var second = (await reinstated.Content.ReadFromJsonAsync<JsonObject>())!;
        await (await secured.Gateway((string)second["username"]!, (string)second["password"]!)).DisposeAsync();

        using var admin = Fleet.Http();
        var audit = await admin.GetAllAsync("/api/audit?subject=device:GW-CRED-1");
        var entry = Assert.Single(audit, e => (string)e!["action"]! == "device.credentials")!;
        Assert.Equal(engineerLogin, (string)entry["actor"]!);
        Assert.Equal("reinstated a revoked device", (string)entry["note"]!);
        Assert.Equal("revoked", (string)entry["before"]!["account"]!);
    }

    [Fact]
    public async Task An_installer_reads_neither_the_lead_queue_nor_its_stream()
    {
        var (installer, _) = await FleetPeople.SignInAs(Fleet, "installer");
        var (inspector, _) = await FleetPeople.SignInAs(Fleet, "inspector");
        using var _i = installer;
        using var _n = inspector;
        foreach (var path in new[] { "/api/leads", "/api/leads/1", "/api/leads/stream", "/api/cases", "/api/leads/1/case", "/api/reports/sites" })
            Assert.True((await installer.GetAsync(path, HttpCompletionOption.ResponseHeadersRead)).StatusCode == HttpStatusCode.Forbidden, $"{path} must refuse an installer");

        Assert.Equal(HttpStatusCode.OK, (await inspector.GetAsync("/api/leads")).StatusCode);
        using var stream = await inspector.GetAsync("/api/leads/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_gateway_added_to_a_commissioned_site_raises_leads_only_after_its_own_commissioning()
    {
        var (installer, installerLogin) = await FleetPeople.SignInAs(Fleet, "installer");
        var (engineer, _) = await FleetPeople.SignInAs(Fleet, "engineer");
        var (raiser, _) = await FleetPeople.SignInAs(Fleet, "inspector");
        var (colleague, _) = await FleetPeople.SignInAs(Fleet, "inspector");
        using var _i = installer;
        using var _e = engineer;
        using var _r = raiser;
        using var _c = colleague;
        using var admin = Fleet.Http();

        // A restaurant reviewed with its first gateway (an admin record covers the gateways bound when it is made).
        Assert.Equal(HttpStatusCode.Created, (await engineer.PostAsJsonAsync("/api/sites", new { id = "R-SECOND", name = "Hotpot", kind = "fume", grid = "G-R" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await engineer.PostAsJsonAsync("/api/devices", new { id = "GW-FIRST", site = "R-SECOND" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/sites/R-SECOND/commissioning",
            new { passed = true, note = "reviewed on site by the bureau", validFrom = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero) })).StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(1.1)); // the record's second counts as before it

        // Someone else's commissioned site: an installer may not add a gateway to it.
        var import = new { sites = Array.Empty<object>(), devices = new[] { new { id = "GW-THIRD", site = "R-SECOND" } } };
        var refused = await installer.PostAsJsonAsync("/api/import?dry_run=true", import);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains("commissioned by someone else", await refused.Content.ReadAsStringAsync());

        // An engineer adds a second gateway; it breaches before anyone has checked it: shown, never a lead.
        var created = await engineer.PostAsJsonAsync("/api/devices", new { id = "GW-SECOND", site = "R-SECOND" });
        var login = (await created.Content.ReadFromJsonAsync<JsonObject>())!["credentials"]!;
        await using var gateway = await secured.Gateway((string)login["username"]!, (string)login["password"]!);
        var start = Minute(DateTimeOffset.UtcNow.AddMinutes(-14));
        await gateway.PublishAsync("iot/v1/GW-SECOND/telemetry", Envelope("GW-SECOND",
            [.. Enumerable.Range(0, 13).Select(i => ((uint)(i + 1), start + i * 60, 0, """{"fume":0.8,"fan":1,"pur":0}"""))]));
        await gateway.PublishAsync("iot/v1/GW-SECOND/status",
            Encoding.UTF8.GetBytes("""{"v":1,"dev":"GW-SECOND","online":true,"fw":"1.0.0","rssi":-61,"clock":"synced","buffered":0}"""));
        var unreviewed = await Eventually(() => Leads(raiser), l => l.Count > 0, "the unchecked gateway's breach");
        Assert.All(unreviewed, l => Assert.Equal("not_commissioned", (string)l!["status"]!));
        Assert.All(unreviewed, l => Assert.Equal(["GW-SECOND"], l!["devices"]!.AsArray().Select(d => (string)d!)));

        // Its own checklist passes; the installer signs it off, and from then on its breaches are leads.
        await Eventually(async () => (await installer.GetFromJsonAsync<JsonObject>("/api/devices/GW-SECOND/commissioning"))!, r => (bool)r["complete"]!, "a passing checklist");
        var signed = await installer.PostAsJsonAsync("/api/devices/GW-SECOND/commissioning", new { note = "second probe above the wok line" });
        Assert.Equal(HttpStatusCode.Created, signed.StatusCode);
        var validFrom = (await signed.Content.ReadFromJsonAsync<JsonObject>())!["validFrom"]!.GetValue<DateTimeOffset>();
        var next = (validFrom.ToUnixTimeSeconds() + 59) / 60 * 60; // the first window that starts after the sign-off
        await gateway.PublishAsync("iot/v1/GW-SECOND/telemetry", Envelope("GW-SECOND",
            [.. Enumerable.Range(0, 10).Select(i => ((uint)(100 + i), next + i * 60, 0, """{"fume":0.8,"fan":1,"pur":0}"""))]));
        var leads = await Eventually(() => Leads(raiser), l => l.Any(x => (string)x!["status"]! == "new"), "a lead once the gateway is commissioned");
        var lead = Assert.Single(leads, l => (string)l!["status"]! == "new")!;
        Assert.Equal(["GW-SECOND"], lead["devices"]!.AsArray().Select(d => (string)d!));
        Assert.True(lead["start"]!.GetValue<DateTimeOffset>() >= validFrom);

        // Having commissioned a gateway there, the installer may now add others to the site.
        Assert.Equal(HttpStatusCode.OK, (await installer.PostAsJsonAsync("/api/import?dry_run=true", import)).StatusCode);

        // Two-person rule: who raised the case cannot dismiss the lead; a colleague can.
        var id = (long)lead["id"]!;
        Assert.Equal(HttpStatusCode.OK, (await raiser.PostAsJsonAsync($"/api/leads/{id}/case/acknowledge", new { note = "seen" })).StatusCode);
        var alone = await raiser.PostAsJsonAsync($"/api/leads/{id}/case/close", new { outcome = "dismissed", reason = "device_fault", note = "probe soot" });
        Assert.Equal(HttpStatusCode.Forbidden, alone.StatusCode);
        Assert.Contains("two-person rule", (string)JsonNode.Parse(await alone.Content.ReadAsStringAsync())!["detail"]!);
        var dismissed = await colleague.PostAsJsonAsync($"/api/leads/{id}/case/close", new { outcome = "dismissed", reason = "device_fault", note = "probe soot" });
        Assert.Equal(HttpStatusCode.OK, dismissed.StatusCode);
        Assert.Equal("dismissed", (string)(await dismissed.Content.ReadFromJsonAsync<JsonObject>())!["status"]!);
        output.WriteLine($"installer {installerLogin}: lead {id} raised after sign-off at {validFrom:O}");
    }

    private static Task<JsonArray> Leads(HttpClient http) => http.GetAllAsync("/api/leads?site=R-SECOND");

    private async Task<T> Eventually<T>(Func<Task<T>> probe, Func<T, bool> done, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        T last = default!;
        while (DateTime.UtcNow < deadline)
        {
            last = await probe();
            if (done(last)) return last;
            await Task.Delay(250);
        }
        throw new TimeoutException($"{what} did not happen in {seconds} s; last seen: {last}\nfleet output:\n{Fleet.RecentOutput}");
    }
}
