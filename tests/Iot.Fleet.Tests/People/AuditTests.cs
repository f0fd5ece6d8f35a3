using System.Net.Http.Json;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.Json;
using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.People;
using Iot.Testing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Dapper;

namespace Iot.Fleet.Tests.People;

/// <summary>Every write is in the append-only audit log, with who, what, when, before and after, and no secrets.</summary>
[Collection(FleetAppCollection.Name)]
public sealed class AuditTests(FleetApp fleet)
{
    [Fact]
    public void Every_write_endpoint_is_audited_and_names_who_may_call_it()
    {
        var endpoints = fleet.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        var writes = endpoints
            .Select(e => (Endpoint: e, Methods: e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []))
            .Where(e => e.Methods.Any(m => m is "POST" or "PUT" or "PATCH" or "DELETE"))
            .ToList();
        Assert.Contains(writes, w => w.Endpoint.RoutePattern.RawText == "/api/sites");

        var unaudited = writes
            .Where(w => w.Endpoint.Metadata.GetMetadata<AuditedMetadata>() is null && w.Endpoint.Metadata.GetMetadata<NotAuditedMetadata>() is null)
            .Select(w => $"{string.Join(",", w.Methods)} {w.Endpoint.RoutePattern.RawText}")
            .ToList();
        Assert.True(unaudited.Count == 0,
            $"write endpoints without .Audited(\"thing.verb\") (or .NotAudited(\"why\") if they change no data): {string.Join("; ", unaudited)}");

        var unguarded = writes
            .Where(w => w.Endpoint.Metadata.GetMetadata<NotAuditedMetadata>() is null && w.Endpoint.Metadata.GetMetadata<RequiredRoles>() is null
                        && w.Endpoint.Metadata.GetMetadata<IAllowAnonymous>() is null)
            .Select(w => $"{string.Join(",", w.Methods)} {w.Endpoint.RoutePattern.RawText}")
            .ToList();
        Assert.True(unguarded.Count == 0, $"write endpoints without .RequireRoles(…): {string.Join("; ", unguarded)}");
    }

    [Fact]
    public async Task Creating_a_site_records_who_what_when_and_after()
    {
        var (login, password) = await fleet.NewPerson(Roles.Installer);
        using var installer = await fleet.SignIn(login, password);
        var site = FleetApp.SiteId();
        var before = DateTime.UtcNow.AddSeconds(-1);

        Assert.Equal(HttpStatusCode.Created, (await installer.PostAsJsonAsync("/api/sites", new { id = site, name = "Spicy pot", kind = "fume", grid = "G-7" })).StatusCode);

        var entry = Assert.Single(await Entries($"subject=site:{site}"));
        Assert.Equal((login, ActorKinds.Person, "site.create", $"site:{site}"), (entry.Actor, entry.ActorKind, entry.Action, entry.Subject));
        Assert.InRange(entry.At, before, DateTime.UtcNow.AddSeconds(1));
        Assert.Null(entry.Before);
        Assert.Equal(site, (string)entry.After!["id"]!);
        Assert.Equal("G-7", (string)entry.After!["grid"]!);
    }

    [Fact]
    public async Task Registry_writes_by_each_way_of_signing_in_are_recorded_and_failed_writes_are_not()
    {
        using var admin = fleet.WithAdminToken();
        var site = FleetApp.SiteId();
        await admin.PostAsJsonAsync("/api/sites", new { id = site, name = "Crane yard", kind = "noise" });
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync("/api/sites", new { id = site, name = "Again", kind = "noise" })).StatusCode);
        using var inspector = await fleet.As(Roles.Inspector);
        await inspector.PostAsJsonAsync($"/api/sites/{site}/permits", new { from = DateTimeOffset.UtcNow, to = DateTimeOffset.UtcNow.AddHours(2) });
        using var engineerSession = await fleet.As(Roles.Engineer);
        var token = (await (await engineerSession.PostAsJsonAsync("/api/tokens", new { name = "bulk" })).Content.ReadFromJsonAsync<ApiTokenCreated>(FleetApp.Json))!;
        using var tool = fleet.Bearer(token.Token);
        await tool.PostAsJsonAsync("/api/devices", new { id = $"GW-{site}", site });

        var created = Assert.Single(await Entries($"subject=site:{site}"));
        Assert.Equal(("admin-token", ActorKinds.AdminToken), (created.Actor, created.ActorKind));
        var permit = Assert.Single(await Entries("action=permit.create"), e => (string)e.After!["site"]! == site);
        Assert.Equal(ActorKinds.Person, permit.ActorKind);
        var device = Assert.Single(await Entries($"subject=device:GW-{site}"));
        Assert.Equal((token.Owner, ActorKinds.Token, "device.create"), (device.Actor, device.ActorKind, device.Action));
    }

    [Fact]
    public async Task People_and_token_changes_are_recorded_with_before_and_after()
    {
        var (login, _) = await fleet.NewPerson(Roles.Installer);
        using var admin = fleet.WithAdminToken();
        await admin.PatchAsJsonAsync($"/api/people/{login}", new { role = Roles.Engineer, squad = "Squad 1" });

        var entries = await Entries($"subject=person:{login}");
        Assert.Equal(["person.update", "person.create"], entries.Select(e => e.Action));
        Assert.Equal((Roles.Installer, Roles.Engineer), ((string)entries[0].Before!["role"]!, (string)entries[0].After!["role"]!));
        Assert.Equal("admin-token", entries[0].Actor);
    }

    [Fact]
    public async Task The_first_admin_was_created_by_the_fleet_itself()
    {
        var entry = Assert.Single(await Entries("subject=person:admin&action=person.create"));
        Assert.Equal(("fleet", ActorKinds.System), (entry.Actor, entry.ActorKind));
        Assert.NotNull(entry.Note);
    }

    [Fact]
    public void Audit_rows_cannot_be_updated_or_deleted()
    {
        fleet.Services.GetRequiredService<AuditLog>().RecordSystem("test", "test.append", "test:1", null, new { n = 1 });
        using var connection = fleet.Database();
        using var command = connection.CreateCommand();

        command.CommandText = "UPDATE audit_log SET actor = 'someone-else' WHERE subject = 'test:1'";
        Assert.Contains("append-only", Assert.ThrowsAny<System.Data.Common.DbException>(() => command.ExecuteNonQuery()).Message);
        command.CommandText = "DELETE FROM audit_log WHERE subject = 'test:1'";
        Assert.Contains("append-only", Assert.ThrowsAny<System.Data.Common.DbException>(() => command.ExecuteNonQuery()).Message);
        command.CommandText = "DELETE FROM audit_log";
        Assert.ThrowsAny<System.Data.Common.DbException>(() => command.ExecuteNonQuery());

        command.CommandText = "SELECT COUNT(*) FROM audit_log WHERE subject = 'test:1' AND actor = 'test'";
        Assert.Equal(1L, (long)command.ExecuteScalar()!);
    }

    [Fact]
    public async Task Passwords_and_tokens_never_appear_in_the_audit_log_or_in_answers()
    {
        var (login, password) = await fleet.NewPerson(Roles.Engineer);
        using var session = await fleet.SignIn(login, password);
        var token = (await (await session.PostAsJsonAsync("/api/tokens", new { name = "secret-test" })).Content.ReadFromJsonAsync<ApiTokenCreated>(FleetApp.Json))!;
        var me = await session.GetStringAsync("/api/me") + await session.GetStringAsync("/api/tokens");
        using var admin = fleet.WithAdminToken();
        const string newPassword = "the-second-password-42";
        await admin.PatchAsJsonAsync($"/api/people/{login}", new { password = newPassword });
        await admin.DeleteAsync($"/api/tokens/{token.Id}");

        var secrets = new List<string> { password, newPassword, token.Token, token.Token[(token.Token.LastIndexOf('_') + 1)..], FleetApp.AdminToken, FleetApp.AdminPassword };
        using (var connection = fleet.Database())
        {
            var (hash, salt) = connection.QuerySingle<(string, string)>("SELECT password_hash, password_salt FROM people WHERE login = @login", new { login });
            secrets.Add(hash.Split('$')[^1]);
            secrets.Add(salt);
        }
        var raw = new List<string>();
        using (var connection = fleet.Database())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT actor || ' ' || action || ' ' || subject || ' ' || COALESCE(before, '') || ' ' || COALESCE(after, '') || ' ' || COALESCE(note, '') FROM audit_log";
            using var reader = command.ExecuteReader();
            while (reader.Read()) raw.Add(reader.GetString(0));
        }
        Assert.Contains(raw, r => r.Contains($"person:{login}") && r.Contains("password changed"));
        Assert.Contains(raw, r => r.Contains("token.create") && r.Contains("secret-test"));
        var answers = string.Join("\n", await admin.GetStringAsync("/api/audit?limit=1000"), await admin.GetStringAsync("/api/people"),
            await admin.GetStringAsync("/api/tokens"), me);

        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(raw, r => r.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(secret, answers, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Secret_looking_fields_are_blanked_even_when_a_caller_passes_them()
    {
        var log = fleet.Services.GetRequiredService<AuditLog>();
        var id = log.RecordSystem("test", "test.redact", "test:redact", null, new { user = "gw-1", password = "hunter2-hunter2", nested = new { apiToken = "iotk_1_abc" } });

        var entry = Assert.Single(log.Find(new AuditQuery(Subject: "test:redact")));
        Assert.Equal(id, entry.Id);
        Assert.Equal("gw-1", (string)entry.After!["user"]!);
        Assert.DoesNotContain("hunter2", entry.After.ToJsonString());
        Assert.DoesNotContain("iotk_1_abc", entry.After.ToJsonString());
    }

    private async Task<List<AuditEntry>> Entries(string query)
    {
        using var admin = fleet.WithAdminToken();
        return (await admin.GetAllAsync($"/api/audit?{query}")).Deserialize<List<AuditEntry>>(FleetApp.Json)!;
    }
}
