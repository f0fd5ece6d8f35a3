using System.Net.Http.Json;
using System.Net;
using Iot.Fleet.Api;
using Iot.Fleet.People;
using Xunit;

namespace Iot.Fleet.Tests.People;

/// <summary>Bearer tokens for tools: a person's API tokens and the configured admin token.</summary>
[Collection(FleetAppCollection.Name)]
public sealed class TokenTests(FleetApp fleet)
{
    [Fact]
    public async Task An_API_token_acts_as_its_owner_until_revoked()
    {
        using var session = await fleet.As(Roles.Engineer);
        var created = await session.PostAsJsonAsync("/api/tokens", new { name = "fleet dashboard" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var token = await created.Content.ReadFromJsonAsync<ApiTokenCreated>(FleetApp.Json);
        Assert.StartsWith(ApiTokens.Prefix, token!.Token);

        using var tool = fleet.Bearer(token.Token);
        var me = await tool.GetFromJsonAsync<Me>("/api/me", FleetApp.Json);
        Assert.Equal((token.Owner, Roles.Engineer, "token"), (me!.Login, me.Role, me.ActorKind));
        Assert.Equal(HttpStatusCode.OK, (await tool.GetAsync("/api/sites")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await session.DeleteAsync($"/api/tokens/{token.Id}")).StatusCode);

        var refused = await tool.GetAsync("/api/sites");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("Bearer", refused.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_token_with_a_wrong_secret_or_an_unknown_id_is_refused()
    {
        using var session = await fleet.As(Roles.Installer);
        var token = (await (await session.PostAsJsonAsync("/api/tokens", new { name = "cli" })).Content.ReadFromJsonAsync<ApiTokenCreated>(FleetApp.Json))!;

        foreach (var bad in new[] { token.Token[..^2] + "xx", $"{ApiTokens.Prefix}99999_{token.Token[(token.Token.LastIndexOf('_') + 1)..]}", "iotk_", "garbage" })
        {
            using var tool = fleet.Bearer(bad);
            Assert.Equal(HttpStatusCode.Unauthorized, (await tool.GetAsync("/api/sites")).StatusCode);
        }
    }

    [Fact]
    public async Task A_person_sees_and_revokes_only_their_own_tokens_and_never_the_secret_again()
    {
        using var alice = await fleet.As(Roles.Installer);
        using var bob = await fleet.As(Roles.Installer);
        var aliceToken = (await (await alice.PostAsJsonAsync("/api/tokens", new { name = "alice's laptop" })).Content.ReadFromJsonAsync<ApiTokenCreated>(FleetApp.Json))!;

        var bobs = await bob.GetStringAsync("/api/tokens");
        Assert.DoesNotContain("alice's laptop", bobs);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.DeleteAsync($"/api/tokens/{aliceToken.Id}")).StatusCode);

        var alices = await alice.GetStringAsync("/api/tokens");
        Assert.Contains("alice's laptop", alices);
        Assert.DoesNotContain(aliceToken.Token[(aliceToken.Token.LastIndexOf('_') + 1)..], alices);
        using var admin = fleet.WithAdminToken();
        Assert.Contains("alice's laptop", await admin.GetStringAsync("/api/tokens"));
    }

    [Fact]
    public async Task The_admin_token_is_the_automation_path_with_the_admin_role()
    {
        using var http = fleet.WithAdminToken();

        var me = await http.GetFromJsonAsync<Me>("/api/me", FleetApp.Json);
        Assert.Equal(("admin-token", Roles.Admin, "admin-token"), (me!.Login, me.Role, me.ActorKind));
        var site = FleetApp.SiteId();
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/sites", new { id = site, name = "Automation", kind = "fume" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/api/sites/{site}")).StatusCode);
        // The admin token is no person: it cannot own API tokens.
        Assert.Equal(HttpStatusCode.Forbidden, (await http.PostAsJsonAsync("/api/tokens", new { name = "x" })).StatusCode);
    }

    [Fact]
    public async Task A_disabled_owner_s_tokens_stop_working()
    {
        var (login, password) = await fleet.NewPerson(Roles.Engineer);
        using var session = await fleet.SignIn(login, password);
        var token = (await (await session.PostAsJsonAsync("/api/tokens", new { name = "script" })).Content.ReadFromJsonAsync<ApiTokenCreated>(FleetApp.Json))!;
        using var admin = fleet.WithAdminToken();

        await admin.PatchAsJsonAsync($"/api/people/{login}", new { disabled = true });

        using var tool = fleet.Bearer(token.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, (await tool.GetAsync("/api/sites")).StatusCode);
    }
}
