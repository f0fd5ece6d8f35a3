using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Iot.Fleet.Tests.People;
using Xunit;
using Iot.Testing;

namespace Iot.Fleet.Tests.Provisioning;

/// <summary>Bulk onboarding over HTTP: a clear error per bad item, a dry run that stores nothing, all or nothing.</summary>
public sealed class ImportTests : IDisposable
{
    private readonly FleetApp _app = new();

    public void Dispose() => _app.Dispose();

    private static object Body(params object[] devices) => new
    {
        sites = new object[]
        {
            new { id = "D-NEW-1", name = "Metro line 9 site", kind = "dust", lat = 31.1, lon = 121.3, grid = "G-09" },
            new { id = "R-NEW-2", name = "Hotpot house", kind = "fume", lat = 31.2, lon = 121.4, businessHours = new[] { new { from = "11:00", to = "23:30" } } },
        },
        devices,
    };

    [Fact]
    public async Task Bad_items_are_named_and_nothing_is_stored()
    {
        using var http = await _app.As("installer");
        var bad = new
        {
            sites = new object[]
            {
                new { id = "D-OK", name = "Fine", kind = "dust", lat = 31.1, lon = 121.3 },
                new { id = "D-BAD", name = "Off the map", kind = "dust", lat = 95.0, lon = 121.3 },
                new { id = "X-KIND", name = "What is it", kind = "smoke", lat = 31.0, lon = 121.0 },
            },
            devices = new object[] { new { id = "DS-1001", site = "D-OK" }, new { id = "ds lower", site = "D-OK" }, new { id = "DS-1002", site = "NOWHERE" } },
        };
        var answer = await http.PostAsJsonAsync("/api/import?dry_run=false", bad);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, answer.StatusCode);
        var errors = (await answer.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsArray()
            .Select(e => ((string)e!["table"]!, (int)e["index"]!, (string?)e["column"])).ToList();
        Assert.Contains(("sites", 1, "lat"), errors);
        Assert.Contains(("sites", 2, "kind"), errors);
        Assert.Contains(("devices", 1, "id"), errors);
        Assert.Empty(await http.GetAllAsync("/api/sites"));
    }

    [Fact]
    public async Task A_dry_run_checks_against_the_fleet_and_stores_nothing_then_the_import_stores_everything()
    {
        using var http = await _app.As("installer");
        var dry = await http.PostAsJsonAsync("/api/import?dry_run=true", Body(new { id = "DS-2001", site = "D-NEW-1" }, new { id = "FM-2002", site = "R-NEW-2" }));
        Assert.Equal(HttpStatusCode.OK, dry.StatusCode);
        Assert.True((bool)(await dry.Content.ReadFromJsonAsync<JsonObject>())!["dryRun"]!);
        Assert.Empty(await http.GetAllAsync("/api/sites"));

        var real = await http.PostAsJsonAsync("/api/import", Body(new { id = "DS-2001", site = "D-NEW-1" }, new { id = "FM-2002", site = "R-NEW-2" }));
        Assert.Equal(HttpStatusCode.OK, real.StatusCode);
        Assert.Equal(["D-NEW-1", "R-NEW-2"], (await http.GetAllAsync("/api/sites")).Select(s => (string)s!["id"]!));
        Assert.Equal("R-NEW-2", (string)(await http.GetFromJsonAsync<JsonObject>("/api/devices/FM-2002"))!["site"]!);

        // The same files again: every id is taken now, and the answer says so item by item; nothing changes.
        var again = await http.PostAsJsonAsync("/api/import", Body(new { id = "DS-2003", site = "D-NEW-1" }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, again.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/devices/DS-2003")).StatusCode);
    }

    [Fact]
    public async Task An_inspector_cannot_import()
    {
        using var http = await _app.As("inspector");
        Assert.Equal(HttpStatusCode.Forbidden, (await http.PostAsJsonAsync("/api/import", Body())).StatusCode);
    }
}
