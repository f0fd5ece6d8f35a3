using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Iot.Fleet.Api;
using Iot.Fleet.People;
using Iot.Fleet.Tests.People;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Iot.Fleet.Tests.Api;

/// <summary>The API speaks with one voice: every property in camelCase (the OpenAPI document) and no snake_case in
/// any answer, every refusal a problem (application/problem+json with status, title and detail).</summary>
[Collection(FleetAppCollection.Name)]
public sealed partial class ApiVoiceTests(FleetApp fleet)
{
    /// <summary>Subtrees that hold stored documents or data keyed by values (rule ids, states, channels), not properties:
    /// an audit entry's before/after, a case step's data, a campaign's counts by state, a profile's rules by rule id.</summary>
    private static readonly HashSet<string> FreeForm = ["before", "after", "data", "states", "rules", "measurements", "errors"];

    [Fact]
    public void Property_names_become_camelCase_whatever_name_a_stored_form_pins()
    {
        Assert.Equal("profileVersion", ApiJson.CamelCase("ProfileVersion"));
        Assert.Equal("healthTimeoutSeconds", ApiJson.CamelCase("HealthTimeoutSeconds"));
        Assert.Equal("dryRun", ApiJson.CamelCase("dry_run"));
        Assert.Equal("leads30d", ApiJson.CamelCase("Leads30d"));
        Assert.False(IsCamelCase("profile_version"));
        Assert.False(IsCamelCase("ProfileVersion"));
        Assert.True(IsCamelCase("profileVersion"));
    }

    [Fact]
    public async Task The_openapi_document_names_every_property_in_camelCase()
    {
        using var http = fleet.Anonymous();
        var document = JsonNode.Parse(await http.GetStringAsync("/openapi/v1.json"))!;

        var names = new List<(string Path, string Name)>();
        PropertiesOf(document, "$", names);

        // The document describes the API's answers (not just a handful): the lead, the case and the campaign are there,
        // each with a property that a stored form still pins in snake_case.
        var all = names.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("profileVersion", all);   // LeadView (also the bundle's lead.json)
        Assert.Contains("responseDue", all);      // CaseView (also the bundle's case.json)
        Assert.Contains("haltThreshold", all);    // CampaignSpec (also stored with the campaign)
        Assert.Contains("lastEntry", all);        // AuditHead (also the signed daily head)
        Assert.Empty(names.Where(n => !IsCamelCase(n.Name)).Select(n => $"{n.Path}: {n.Name}"));
    }

    [Fact]
    public async Task Every_json_answer_of_a_get_endpoint_names_its_properties_in_camelCase()
    {
        using var admin = fleet.WithAdminToken();
        await Seed(admin);

        var checkedAnswers = 0;
        var offenders = new List<string>();
        foreach (var path in GetEndpointsWithoutParameters())
        {
            using var answer = await admin.GetAsync(path);
            if (answer.Content.Headers.ContentType?.MediaType is not ("application/json" or "application/problem+json")) continue;
            checkedAnswers++;
            Walk(JsonNode.Parse(await answer.Content.ReadAsStringAsync()), path, offenders);
        }

        Assert.True(checkedAnswers >= 20, $"only {checkedAnswers} JSON answers were checked");
        Assert.Empty(offenders);
    }

    [Fact]
    public async Task Every_refusal_is_a_problem_with_status_title_and_detail()
    {
        using var admin = fleet.WithAdminToken();
        using var anonymous = fleet.Anonymous();
        using var installer = await fleet.As(Roles.Installer);
        var site = FleetApp.SiteId();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/sites", new { id = site, name = "Voice", kind = "noise" })).StatusCode);

        var refusals = new List<(string What, HttpResponseMessage Answer)>
        {
            ("bad input (RefusalException)", await admin.PostAsJsonAsync("/api/sites", new { id = FleetApp.SiteId(), name = "No kind" })),
            ("conflict (RefusalException)", await admin.PostAsJsonAsync("/api/sites", new { id = site, name = "Again", kind = "noise" })),
            ("missing (RefusalException.NotFound)", await admin.GetAsync("/api/sites/NO-SUCH-SITE")),
            ("malformed JSON", await admin.PostAsync("/api/sites", new StringContent("{\"id\":", Encoding.UTF8, "application/json"))),
            ("validation problem", await admin.PostAsJsonAsync("/api/profiles", new { id = "Bad Id" })),
            ("refused import (422)", await admin.PostAsJsonAsync("/api/import?dry_run=true",
                new { sites = new[] { new { id = "x", name = "", kind = "fume", lat = 0, lon = 0 } }, devices = Array.Empty<object>() })),
            ("a query value the endpoint does not know", await admin.GetAsync("/api/cases?status=nonsense")),
            ("not signed in", await anonymous.GetAsync("/api/sites")),
            ("not this role", await installer.GetAsync("/api/leads")),
        };
        // And whatever a route with a made-up id answers, everywhere: never a bare status.
        foreach (var path in GetEndpointsWithMissingIds())
            refusals.Add(($"GET {path}", await admin.GetAsync(path)));

        foreach (var (what, answer) in refusals)
        {
            var status = (int)answer.StatusCode;
            if (status is < 400 or >= 500) continue; // some made-up ids are simply empty lists
            Assert.True(answer.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{what}: {status} is {answer.Content.Headers.ContentType}");
            var problem = JsonNode.Parse(await answer.Content.ReadAsStringAsync())!;
            Assert.True((int?)problem["status"] == status, $"{what}: the problem's status is {problem["status"]}, the answer's {status}");
            Assert.False(string.IsNullOrWhiteSpace((string?)problem["title"]), $"{what}: no title");
            Assert.False(string.IsNullOrWhiteSpace((string?)problem["detail"]), $"{what}: no detail");
        }
        Assert.Equal(HttpStatusCode.BadRequest, refusals[0].Answer.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, refusals[1].Answer.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, refusals[2].Answer.StatusCode);
        Assert.True(refusals.Count(r => r.Answer.StatusCode == HttpStatusCode.NotFound) >= 10, "the made-up ids found no 404s");
        foreach (var (_, answer) in refusals) answer.Dispose();
    }

    [Fact]
    public async Task A_write_refused_inside_a_typed_union_of_answers_is_not_audited()
    {
        using var admin = fleet.WithAdminToken();
        async Task<long> Entries() => (long)(await admin.GetFromJsonAsync<JsonObject>("/api/audit?action=profile.create&limit=1"))!["total"]!;
        var before = await Entries();

        var refused = await admin.PostAsJsonAsync("/api/profiles", new { id = "Not An Id" });

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode); // Results<Created<ProfileView>, ValidationProblem>
        Assert.Equal(before, await Entries());
        var created = await admin.PostAsJsonAsync("/api/profiles", new { id = $"voice-{Guid.NewGuid():N}"[..20], name = "Voice", source = "test", basedOn = "default" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(before + 1, await Entries());
    }

    private static async Task Seed(HttpClient admin)
    {
        var site = FleetApp.SiteId();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/sites", new { id = site, name = "Camel", kind = "noise", grid = "G-CAMEL" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/devices", new { id = $"NS-{Random.Shared.Next(100_000, 999_999)}", site })).StatusCode);
        Assert.True((await admin.PostAsJsonAsync("/api/squads", new { id = "SQ-CAMEL", name = "Camel squad", grids = new[] { "G-CAMEL" } })).IsSuccessStatusCode);
    }

    private IEnumerable<string> GetEndpointsWithoutParameters() =>
        GetRoutes().Where(r => r.Parameters.Count == 0).Select(r => "/" + r.RawText!.TrimStart('/')).Distinct().Order(StringComparer.Ordinal);

    /// <summary>GET routes with parameters, each filled with an id nothing has.</summary>
    private IEnumerable<string> GetEndpointsWithMissingIds() =>
        GetRoutes().Where(r => r.Parameters.Count > 0).Select(r => "/" + string.Join('/', r.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
            {
                RoutePatternLiteralPart literal => literal.Content,
                RoutePatternParameterPart p when p.ParameterPolicies.Any(c => c.Content is "long" or "int") => "987654321",
                RoutePatternParameterPart => "NO-SUCH-ID",
                _ => "",
            }))))).Distinct().Order(StringComparer.Ordinal);

    private IEnumerable<RoutePattern> GetRoutes() =>
        fleet.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains("GET") == true)
            .Select(e => e.RoutePattern)
            .Where(p => p.RawText is { } raw && raw.TrimStart('/').StartsWith("api/", StringComparison.Ordinal) && !raw.EndsWith("/stream", StringComparison.Ordinal));

    /// <summary>Every name under a `properties` map of the document, with where it is.</summary>
    private static void PropertiesOf(JsonNode? node, string path, List<(string, string)> names)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    if (key == "properties" && value is JsonObject properties)
                        names.AddRange(properties.Select(p => (path, p.Key)));
                    PropertiesOf(value, $"{path}.{key}", names);
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++) PropertiesOf(a[i], $"{path}[{i}]", names);
                break;
        }
    }

    private static void Walk(JsonNode? node, string path, List<string> offenders)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    // Keys of dictionaries (HJ 212 codes like `Leq`, channels like `dust.pm10`) need not be camelCase; none is snake_case.
                    if (key.Contains('_')) offenders.Add($"{path}: {key}");
                    if (!FreeForm.Contains(key)) Walk(value, $"{path}.{key}", offenders);
                }
                break;
            case JsonArray a:
                foreach (var item in a) Walk(item, path + "[]", offenders);
                break;
        }
    }

    private static bool IsCamelCase(string name) => CamelCase().IsMatch(name);

    [GeneratedRegex("^[a-z][a-zA-Z0-9]*$")]
    private static partial Regex CamelCase();
}
