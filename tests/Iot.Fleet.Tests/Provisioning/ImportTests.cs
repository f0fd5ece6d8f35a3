using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Iot.Fleet.Hj212;
using Iot.Fleet.Tests.People;
using Microsoft.Extensions.DependencyInjection;
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
    public async Task Hj212_monitors_are_imported_with_their_sites_checked_like_a_registration_and_all_or_nothing()
    {
        using var http = await _app.As("installer");
        const string key = "00112233445566778899AABBCCDDEEFF";
        object Monitor(string id, string mn, string? password = "Pw30019x", string? profile = null, string? sm4Key = null) =>
            new { id, site = "D-NEW-1", mn, password, profile, sm4Key };
        var bad = new
        {
            sites = new object[] { new { id = "D-NEW-1", name = "Metro line 9 site", kind = "dust", lat = 31.1, lon = 121.3, grid = "G-09" } },
            devices = Array.Empty<object>(),
            monitors = new[]
            {
                Monitor("HJ-3001", "0A1B2C3D4E5F000000003001"),
                Monitor("HJ-3002", "SHORT"),
                Monitor("HJ-3003", "0A1B2C3D4E5F000000003003", password: null),
                Monitor("HJ-3004", "0A1B2C3D4E5F000000003004", sm4Key: "0123"),
                Monitor("HJ-3005", "0A1B2C3D4E5F000000003005", profile: "nosuch"),
                Monitor("HJ-3006", "0A1B2C3D4E5F000000003001"),
            },
        };
        var refused = await http.PostAsJsonAsync("/api/import", bad);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var errors = (await refused.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsArray()
            .Select(e => ((string)e!["table"]!, (int)e["index"]!, (string?)e["column"])).ToList();
        Assert.Equal([("monitors", 1, "mn"), ("monitors", 2, "password"), ("monitors", 3, "sm4Key"), ("monitors", 4, "profile"), ("monitors", 5, "mn")],
            errors.Order());
        Assert.Empty(await http.GetAllAsync("/api/sites"));

        var good = new
        {
            bad.sites, bad.devices,
            monitors = new[] { Monitor("HJ-3001", "0A1B2C3D4E5F000000003001"), Monitor("HJ-3002", "0A1B2C3D4E5F000000003002", profile: "fume", sm4Key: key) },
        };
        var imported = await http.PostAsJsonAsync("/api/import", good);
        Assert.Equal(HttpStatusCode.OK, imported.StatusCode);
        Assert.Equal(2, (int)(await imported.Content.ReadFromJsonAsync<JsonObject>())!["monitors"]!);
        var monitors = _app.Services.GetRequiredService<Hj212Monitors>();
        var sealedOne = monitors.ByMn("0A1B2C3D4E5F000000003002")!;
        Assert.Equal(("HJ-3002", "fume", key), (sealedOne.Device, sealedOne.Profile, sealedOne.Sm4Key));
        Assert.True(sealedOne.PasswordMatches("Pw30019x"));
        Assert.Equal("D-NEW-1", (string)(await http.GetFromJsonAsync<JsonObject>("/api/devices/HJ-3001"))!["site"]!);

        // An MN already registered is refused item by item, and the import stores nothing else.
        var taken = await http.PostAsJsonAsync("/api/import", new
        {
            sites = Array.Empty<object>(), devices = Array.Empty<object>(),
            monitors = new[] { Monitor("HJ-3007", "0A1B2C3D4E5F000000003007"), Monitor("HJ-3008", "0A1B2C3D4E5F000000003001") },
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, taken.StatusCode);
        Assert.Contains("belongs to another device", await taken.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/devices/HJ-3007")).StatusCode);

        // Passwords and keys stay out of the audit log.
        using var engineer = await _app.As("engineer");
        var audit = await engineer.GetStringAsync("/api/audit?action=registry.import");
        Assert.Contains("0A1B2C3D4E5F000000003002", audit);
        Assert.DoesNotContain(key, audit, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Pw30019x", audit);
    }

    [Fact]
    public async Task An_inspector_cannot_import()
    {
        using var http = await _app.As("inspector");
        Assert.Equal(HttpStatusCode.Forbidden, (await http.PostAsJsonAsync("/api/import", Body())).StatusCode);
    }
}
