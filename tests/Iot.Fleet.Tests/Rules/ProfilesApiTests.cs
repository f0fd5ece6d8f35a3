using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Iot.Fleet.Api;
using Iot.Fleet.People;
using Iot.Fleet.Registry;
using Iot.Fleet.Rules;
using Iot.Fleet.Tests.People;
using Iot.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Iot.Fleet.Tests.Rules;

/// <summary>Profiles created and versioned through the API and configuration, validated on entry; quiet periods.</summary>
[Collection(FleetAppCollection.Name)]
public sealed class ProfilesApiTests(FleetApp fleet)
{
    private static string NewId() => $"p-{Guid.NewGuid():N}"[..14];

    [Fact]
    public async Task The_shipped_profiles_are_listed_with_their_sources()
    {
        using var installer = await fleet.As(Roles.Installer);
        var profiles = await installer.GetAllAsync("/api/profiles", pageSize: 2);
        var byId = profiles.ToDictionary(p => (string)p!["id"]!, p => p!["current"]!);
        Assert.Equal(1.0, (double)byId["beijing"]["rules"]!["fume.concentration"]!["limit"]!);
        Assert.Contains("DB31/844-2014", (string)byId["shanghai"]["source"]!);
        Assert.Equal(80, (double)byId["hebei"]["rules"]!["dust.pm10"]!["limit"]!);
        Assert.Equal(("22:00", "06:00", 90.0), ((string)byId["default"]["nightStarts"]!, (string)byId["default"]["nightEnds"]!, (double)byId["default"]["fogHumidity"]!));
        Assert.Equal(20, (int)byId["default"]["rules"]!["noise.day_leq"]!["window"]!);
    }

    [Fact]
    public async Task An_engineer_creates_a_profile_a_site_uses_it_and_the_audit_log_has_it()
    {
        using var engineer = await fleet.As(Roles.Engineer);
        var id = NewId();
        var created = await engineer.PostAsJsonAsync("/api/profiles", new
        {
            id, name = "Jiangsu dust", source = "DB32/4437-2022 施工场地扬尘排放标准", basedOn = "default",
            rules = new Dictionary<string, object> { ["dust.pm10"] = new { limit = 80, window = 60 } },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await FleetApp.Body(created);
        Assert.Equal((1, 80.0, 2.0), ((int)body["current"]!["version"]!, (double)body["current"]!["rules"]!["dust.pm10"]!["limit"]!,
            (double)body["current"]!["rules"]!["fume.concentration"]!["limit"]!));
        Assert.Equal("api", (string)body["origin"]!);

        Assert.Equal(HttpStatusCode.Conflict, (await engineer.PostAsJsonAsync("/api/profiles", new { id, name = "Again", source = "x" })).StatusCode);
        using var inspector = await fleet.As(Roles.Inspector);
        Assert.Equal(HttpStatusCode.Forbidden, (await inspector.PostAsJsonAsync("/api/profiles", new { id = NewId(), name = "n", source = "s" })).StatusCode);

        var site = FleetApp.SiteId();
        Assert.Equal(HttpStatusCode.Created, (await engineer.PostAsJsonAsync("/api/sites", new { id = site, name = "Jiangsu yard", kind = "dust", profile = id })).StatusCode);
        var unknown = await engineer.PostAsJsonAsync("/api/sites", new { id = FleetApp.SiteId(), name = "Nowhere", kind = "dust", profile = "no-such-profile" });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("unknown profile", await unknown.Content.ReadAsStringAsync());

        using var connection = fleet.Database();
        using var audit = connection.CreateCommand();
        audit.CommandText = $"SELECT COUNT(*) FROM audit_log WHERE action = 'profile.create' AND subject = 'profile:{id}'";
        Assert.Equal(1L, (long)audit.ExecuteScalar()!);
    }

    [Fact]
    public async Task A_profile_is_refused_with_a_problem_per_field()
    {
        using var engineer = await fleet.As(Roles.Engineer);
        var answer = await engineer.PostAsJsonAsync("/api/profiles", new
        {
            id = "Bad Id", source = "s", nightStarts = "7pm", fogHumidity = 120, basedOn = "nope", validFrom = DateTimeOffset.UtcNow,
            rules = new Dictionary<string, object>
            {
                ["noise.day_leq"] = new { limit = 0, window = 0 },
                ["fume.concentration"] = new { coverage = 0.3 },
                ["noise.loudness"] = new { limit = 60 },
            },
        });
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        var errors = (await FleetApp.Body(answer))["errors"]!.AsObject();
        Assert.Equal(
            ["basedOn", "fogHumidity", "id", "name", "nightStarts", "rules.fume.concentration.coverage", "rules.noise.day_leq.limit",
                "rules.noise.day_leq.window", "rules.noise.loudness", "validFrom"],
            errors.Select(e => e.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_new_version_applies_from_its_valid_from_and_the_old_version_stays()
    {
        using var engineer = await fleet.As(Roles.Engineer);
        var id = NewId();
        await engineer.PostAsJsonAsync("/api/profiles", new { id, name = "City fume", source = "notice 2026-1", rules = new Dictionary<string, object> { ["fume.concentration"] = new { limit = 1.5 } } });
        var from = DateTimeOffset.UtcNow.AddHours(2);

        var missing = await engineer.PostAsJsonAsync($"/api/profiles/{id}/versions", new { rules = new Dictionary<string, object> { ["fume.concentration"] = new { limit = 1.0 } } });
        Assert.Equal(["validFrom"], (await FleetApp.Body(missing))["errors"]!.AsObject().Select(e => e.Key));
        var past = await engineer.PostAsJsonAsync($"/api/profiles/{id}/versions", new { validFrom = DateTimeOffset.UtcNow.AddDays(-1) });
        Assert.Equal(HttpStatusCode.BadRequest, past.StatusCode);
        var badLimit = await engineer.PostAsJsonAsync($"/api/profiles/{id}/versions", new { validFrom = from, rules = new Dictionary<string, object> { ["fume.concentration"] = new { limit = 500 } } });
        Assert.Equal(["rules.fume.concentration.limit"], (await FleetApp.Body(badLimit))["errors"]!.AsObject().Select(e => e.Key));
        Assert.Equal(HttpStatusCode.NotFound, (await engineer.PostAsJsonAsync("/api/profiles/no-such/versions", new { validFrom = from })).StatusCode);

        var added = await engineer.PostAsJsonAsync($"/api/profiles/{id}/versions",
            new { validFrom = from, source = "notice 2026-2", rules = new Dictionary<string, object> { ["fume.concentration"] = new { limit = 1.0 } } });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.Equal(2, (int)(await FleetApp.Body(added))["version"]!);

        var profile = await FleetApp.Body(await engineer.GetAsync($"/api/profiles/{id}"));
        Assert.Equal(1, (int)profile["current"]!["version"]!);
        var versions = profile["versions"]!.AsArray();
        Assert.Equal([1.5, 1.0], versions.Select(v => (double)v!["rules"]!["fume.concentration"]!["limit"]!));
        Assert.Equal("notice 2026-2", (string)versions[1]!["source"]!);

        // Not before the latest version's start.
        var earlier = await engineer.PostAsJsonAsync($"/api/profiles/{id}/versions", new { validFrom = from.AddMinutes(-30) });
        Assert.Equal(["validFrom"], (await FleetApp.Body(earlier))["errors"]!.AsObject().Select(e => e.Key));

        // A site on the profile: the registry judges by version 1 now and version 2 from its start.
        var (site, device) = await SiteWithDevice(engineer, "fume", id);
        var context = fleet.Services.GetRequiredService<SiteRegistry>().SiteOf(device)!;
        Assert.Equal(site, context.Id);
        Assert.Equal(1, context.ProfileAt(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60).Version);
        Assert.Equal(2, context.ProfileAt(from.ToUnixTimeSeconds() / 60 + 1).Version);
        Assert.Equal(1.0, context.ProfileAt(from.ToUnixTimeSeconds() / 60 + 1).LimitOf("fume.concentration"));
        Assert.Equal((id, 1), (context.Profile.Id, context.Profile.Version));
    }

    [Fact]
    public async Task A_quiet_period_gives_the_site_another_profile_for_its_span()
    {
        using var engineer = await fleet.As(Roles.Engineer);
        var (site, device) = await SiteWithDevice(engineer, "noise", "default");
        var quiet = await engineer.PostAsJsonAsync("/api/profiles", new
        {
            id = NewId(), name = "Exam weeks 中高考禁噪期", source = "区政府通告 2027 中高考期间禁止夜间施工",
            nightStarts = "20:00", rules = new Dictionary<string, object> { ["noise.day_leq"] = new { limit = 60 } },
        });
        var quietId = (string)(await FleetApp.Body(quiet))["id"]!;
        var from = new DateTimeOffset(2027, 6, 7, 0, 0, 0, TimeSpan.FromHours(8));
        var to = from.AddDays(4);

        using var inspector = await fleet.As(Roles.Inspector);
        var added = await inspector.PostAsJsonAsync($"/api/sites/{site}/quiet-periods", new { from, to, profile = quietId, reason = "中高考禁噪期 2027" });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);

        var overlapping = await inspector.PostAsJsonAsync($"/api/sites/{site}/quiet-periods", new { from = to.AddDays(-1), to = to.AddDays(1), profile = "default", reason = "again" });
        Assert.Equal(["from"], (await FleetApp.Body(overlapping))["errors"]!.AsObject().Select(e => e.Key));
        var wrong = await inspector.PostAsJsonAsync($"/api/sites/{site}/quiet-periods", new { from = to, to = from, profile = "nope" });
        Assert.Equal(["profile", "reason", "to"], (await FleetApp.Body(wrong))["errors"]!.AsObject().Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, (await inspector.PostAsJsonAsync("/api/sites/NO-SUCH-SITE/quiet-periods", new { from, to, profile = "default", reason = "r" })).StatusCode);
        using var installer = await fleet.As(Roles.Installer);
        Assert.Equal(HttpStatusCode.Forbidden, (await installer.PostAsJsonAsync($"/api/sites/{site}/quiet-periods", new { from, to, profile = "default", reason = "r" })).StatusCode);

        var listed = Assert.Single(await installer.GetAllAsync($"/api/sites/{site}/quiet-periods"));
        Assert.Equal((quietId, "中高考禁噪期 2027"), ((string)listed!["profile"]!, (string)listed["reason"]!));

        var context = fleet.Services.GetRequiredService<SiteRegistry>().SiteOf(device)!;
        long Minute(DateTimeOffset t) => t.ToUnixTimeSeconds() / 60;
        Assert.Equal("default", context.ProfileAt(Minute(from) - 1).Id);
        Assert.Equal(quietId, context.ProfileAt(Minute(from)).Id);
        Assert.Equal(quietId, context.ProfileAt(Minute(to) - 1).Id);
        Assert.Equal("default", context.ProfileAt(Minute(to)).Id);
        // 20:30 local inside the period is night by the quiet profile.
        Assert.True(context.WhollyNight(Minute(from.AddHours(20.5)), 20));
        Assert.True(context.WhollyDay(Minute(from.AddDays(-1).AddHours(20.5)), 20));
    }

    [Fact]
    public async Task Configured_profiles_are_stored_on_start_and_a_changed_configuration_is_a_new_version()
    {
        using var app = new FleetApp();
        var from = DateTimeOffset.UtcNow.AddDays(1);
        void Jiangsu(IWebHostBuilder b, string limit, DateTimeOffset? validFrom)
        {
            b.UseSetting("Profiles:jiangsu:Name", "Jiangsu 江苏");
            b.UseSetting("Profiles:jiangsu:Source", "DB32/4437-2022 施工场地扬尘排放标准");
            b.UseSetting("Profiles:jiangsu:Rules:dust.pm10:Limit", limit);
            if (validFrom is { } v) b.UseSetting("Profiles:jiangsu:ValidFrom", v.ToString("O"));
        }

        using (var first = app.WithWebHostBuilder(b => Jiangsu(b, "80", null)))
        {
            using var http = first.CreateClient();
            http.DefaultRequestHeaders.Authorization = new("Bearer", FleetApp.AdminToken);
            var profile = await FleetApp.Body(await http.GetAsync("/api/profiles/jiangsu"));
            Assert.Equal(("configuration", 80.0), ((string)profile["origin"]!, (double)profile["current"]!["rules"]!["dust.pm10"]!["limit"]!));
            // Configuration owns it: the API does not version it.
            Assert.Equal(HttpStatusCode.Conflict, (await http.PostAsJsonAsync("/api/profiles/jiangsu/versions", new { validFrom = from })).StatusCode);
        }
        using (var same = app.WithWebHostBuilder(b => Jiangsu(b, "80", null)))
        {
            using var http = same.CreateClient();
            http.DefaultRequestHeaders.Authorization = new("Bearer", FleetApp.AdminToken);
            Assert.Single((await FleetApp.Body(await http.GetAsync("/api/profiles/jiangsu")))["versions"]!.AsArray());
        }
        using (var changed = app.WithWebHostBuilder(b => Jiangsu(b, "70", from)))
        {
            using var http = changed.CreateClient();
            http.DefaultRequestHeaders.Authorization = new("Bearer", FleetApp.AdminToken);
            var versions = (await FleetApp.Body(await http.GetAsync("/api/profiles/jiangsu")))["versions"]!.AsArray();
            Assert.Equal([80.0, 70.0], versions.Select(v => (double)v!["rules"]!["dust.pm10"]!["limit"]!));
            Assert.Equal(from.ToUnixTimeSeconds(), DateTimeOffset.Parse((string)versions[1]!["validFrom"]!).ToUnixTimeSeconds());
        }
        using (var invalid = app.WithWebHostBuilder(b => b.UseSetting("Profiles:broken:Rules:dust.pm10:Window", "5000")))
        {
            var refused = Assert.Throws<InvalidOperationException>(() => invalid.Services.GetRequiredService<ProfileStore>());
            Assert.Contains("Profiles:broken", refused.Message);
            Assert.Contains("rules.dust.pm10.window", refused.Message);
        }
    }

    /// <summary>A new site on the profile with one device bound to it.</summary>
    private static async Task<(string Site, string Device)> SiteWithDevice(HttpClient engineer, string kind, string profile)
    {
        var site = FleetApp.SiteId();
        Assert.Equal(HttpStatusCode.Created, (await engineer.PostAsJsonAsync("/api/sites", new { id = site, name = $"Site {site}", kind, profile })).StatusCode);
        var device = $"GW-{site}";
        Assert.Equal(HttpStatusCode.Created, (await engineer.PostAsJsonAsync("/api/devices", new { id = device, site })).StatusCode);
        return (site, device);
    }
}
