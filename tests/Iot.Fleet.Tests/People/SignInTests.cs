using System.Net.Http.Json;
using System.Net;
using Iot.Fleet.Api;
using Iot.Fleet.People;
using Xunit;

namespace Iot.Fleet.Tests.People;

/// <summary>Cookie sessions for the pages: login, logout, lockout, and 401 problems instead of redirects.</summary>
[Collection(FleetAppCollection.Name)]
public sealed class SignInTests(FleetApp fleet)
{
    [Fact]
    public async Task A_person_signs_in_and_the_cookie_is_HttpOnly_and_SameSite_strict()
    {
        var (login, password) = await fleet.NewPerson(Roles.Inspector, squad: "Squad 3");
        using var http = fleet.Anonymous();

        var answer = await http.PostAsJsonAsync("/api/login", new { login, password });

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var cookie = Assert.Single(answer.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith($"{PeopleSetup.CookieName}=", cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        var me = await http.GetFromJsonAsync<Me>("/api/me", FleetApp.Json);
        Assert.Equal(new Me(login, $"Test {login}", Roles.Inspector, "Squad 3", "person"), me);
    }

    [Fact]
    public async Task A_login_form_works_too()
    {
        var (login, password) = await fleet.NewPerson(Roles.Installer);
        using var http = fleet.Anonymous();

        var answer = await http.PostAsync("/api/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["login"] = login, ["password"] = password }));

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task The_session_cookie_gives_access_to_reads()
    {
        using var http = await fleet.As(Roles.Inspector);

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/sites")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/leads")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/alerts")).StatusCode);
    }

    [Fact]
    public async Task A_wrong_password_is_a_401_problem()
    {
        var (login, _) = await fleet.NewPerson(Roles.Engineer);
        using var http = fleet.Anonymous();

        var answer = await http.PostAsJsonAsync("/api/login", new { login, password = "not-the-password" });

        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
        Assert.False(answer.Headers.Contains("Set-Cookie"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task An_unknown_login_is_the_same_401()
    {
        using var http = fleet.Anonymous();
        var answer = await http.PostAsJsonAsync("/api/login", new { login = "nobody-here", password = "whatever-it-is" });
        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
    }

    [Fact]
    public async Task A_disabled_person_cannot_sign_in_and_their_open_session_ends()
    {
        var (login, password) = await fleet.NewPerson(Roles.Installer);
        using var session = await fleet.SignIn(login, password);
        using var admin = fleet.WithAdminToken();

        Assert.Equal(HttpStatusCode.OK, (await admin.PatchAsJsonAsync($"/api/people/{login}", new { disabled = true })).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await session.GetAsync("/api/sites")).StatusCode);
        using var again = fleet.Anonymous();
        Assert.Equal(HttpStatusCode.Unauthorized, (await again.PostAsJsonAsync("/api/login", new { login, password })).StatusCode);
    }

    [Fact]
    public async Task A_new_password_ends_open_sessions()
    {
        var (login, password) = await fleet.NewPerson(Roles.Engineer);
        using var session = await fleet.SignIn(login, password);
        using var admin = fleet.WithAdminToken();

        Assert.Equal(HttpStatusCode.OK, (await admin.PatchAsJsonAsync($"/api/people/{login}", new { password = "a-brand-new-password" })).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await session.GetAsync("/api/me")).StatusCode);
        using var fresh = await fleet.SignIn(login, "a-brand-new-password");
    }

    [Fact]
    public async Task Repeated_failures_lock_the_login_even_for_the_right_password()
    {
        var (login, password) = await fleet.NewPerson(Roles.Inspector);
        using var http = fleet.Anonymous();
        for (var i = 0; i < new LoginLimits().FreeFailures; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsJsonAsync("/api/login", new { login, password = $"guess-{i}-guess" })).StatusCode);

        var answer = await http.PostAsJsonAsync("/api/login", new { login, password });

        Assert.Equal(HttpStatusCode.TooManyRequests, answer.StatusCode);
        Assert.True(answer.Headers.RetryAfter is not null);
        Assert.Contains("try again", (string)(await FleetApp.Body(answer))["detail"]!);
        // Other people are not locked out with them.
        var (other, otherPassword) = await fleet.NewPerson(Roles.Inspector);
        using var _ = await fleet.SignIn(other, otherPassword);
    }

    [Fact]
    public async Task Without_credentials_the_API_answers_401_and_never_redirects()
    {
        using var http = fleet.Anonymous();

        foreach (var path in new[] { "/api/sites", "/api/leads", "/api/me", "/api/people", "/api/audit" })
        {
            var answer = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
            Assert.Null(answer.Headers.Location);
            Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
            Assert.Contains("/api/login", (string)(await FleetApp.Body(answer))["detail"]!);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsJsonAsync("/api/sites", new { id = "S-ANON", name = "x", kind = "fume" })).StatusCode);
    }

    [Fact]
    public async Task Health_and_the_API_description_stay_open()
    {
        using var http = fleet.Anonymous();
        // No broker in this in-memory fleet: health answers, anonymously, that it is not ready (503, with the reasons).
        var health = await http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Contains("\"ready\":false", await health.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/openapi/v1.json")).StatusCode);
    }

    [Fact]
    public async Task Logout_ends_the_session()
    {
        using var http = await fleet.As(Roles.Installer);

        Assert.Equal(HttpStatusCode.NoContent, (await http.PostAsync("/api/logout", null)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task The_first_admin_exists_with_the_configured_password()
    {
        using var http = await fleet.SignIn("admin", FleetApp.AdminPassword);
        Assert.Equal(Roles.Admin, (await http.GetFromJsonAsync<Me>("/api/me", FleetApp.Json))!.Role);
    }
}
