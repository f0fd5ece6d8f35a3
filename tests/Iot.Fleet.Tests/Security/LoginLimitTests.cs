using System.Net.Http.Json;
using System.Net;
using Iot.Fleet.Api;
using Iot.Fleet.People;
using Iot.Fleet.Tests.People;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Iot.Fleet.Tests.Security;

/// <summary>Password guessing is limited per (address, login), per address, per login and for the whole fleet,
/// before any password is checked; a guesser cannot lock `admin` out of another address. Clients pick their
/// address with X-Forwarded-For, which the fleet believes from the test host as it would from a local proxy.</summary>
public sealed class LoginLimitTests(FleetApp fleet) : IClassFixture<FleetApp>
{
    [Fact]
    public async Task Locking_admin_from_one_address_leaves_admin_free_from_another()
    {
        using var app = With(("Login:FreeFailures", "3"));
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignIn(app, "198.51.100.1", "admin", $"guess-{i}-guess")).StatusCode);

        var locked = await SignIn(app, "198.51.100.1", "admin", FleetApp.AdminPassword);
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.True(locked.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Contains("from your address", (string)(await FleetApp.Body(locked))["detail"]!);

        Assert.Equal(HttpStatusCode.OK, (await SignIn(app, "198.51.100.2", "admin", FleetApp.AdminPassword)).StatusCode);
    }

    [Fact]
    public async Task Random_names_from_one_address_use_up_its_budget_and_nobody_elses()
    {
        var (login, password) = await fleet.NewPerson(Roles.Inspector);
        using var app = With(("Login:FailuresPerClient", "4"));
        for (var i = 0; i < 4; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignIn(app, "198.51.100.10", $"made-up-{i}", "whatever-it-is")).StatusCode);

        var refused = await SignIn(app, "198.51.100.10", login, password);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.FromMinutes(10));

        Assert.Equal(HttpStatusCode.OK, (await SignIn(app, "198.51.100.11", login, password)).StatusCode);
    }

    [Fact]
    public async Task IPv6_addresses_of_one_network_share_a_budget()
    {
        using var app = With(("Login:FailuresPerClient", "2"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignIn(app, "2001:db8:1:2::a", "made-up-a", "whatever-it-is")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignIn(app, "2001:db8:1:2::b", "made-up-b", "whatever-it-is")).StatusCode);

        Assert.Equal(HttpStatusCode.TooManyRequests, (await SignIn(app, "2001:db8:1:2:ffff::c", "made-up-c", "whatever-it-is")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignIn(app, "2001:db8:1:3::a", "made-up-d", "whatever-it-is")).StatusCode);
    }

    [Fact]
    public async Task Many_addresses_guessing_one_login_lock_it_except_where_its_owner_signed_in_before()
    {
        var (login, password) = await fleet.NewPerson(Roles.Inspector);
        using var app = With(("Login:FreeFailures", "3"), ("Login:FailuresPerLogin", "6"));
        Assert.Equal(HttpStatusCode.OK, (await SignIn(app, "192.0.2.50", login, password)).StatusCode); // the office
        foreach (var guesser in new[] { "203.0.113.1", "203.0.113.2" })
            for (var i = 0; i < 3; i++)
                Assert.Equal(HttpStatusCode.Unauthorized, (await SignIn(app, guesser, login, $"guess-{i}-guess")).StatusCode);

        var elsewhere = await SignIn(app, "192.0.2.99", login, password);
        Assert.Equal(HttpStatusCode.TooManyRequests, elsewhere.StatusCode);
        Assert.Contains("many addresses", (string)(await FleetApp.Body(elsewhere))["detail"]!);

        Assert.Equal(HttpStatusCode.OK, (await SignIn(app, "192.0.2.50", login, password)).StatusCode);
    }

    [Fact]
    public async Task The_whole_fleet_has_a_ceiling_on_failures()
    {
        var (login, password) = await fleet.NewPerson(Roles.Inspector);
        using var app = With(("Login:FailuresPerWindow", "4"));
        Assert.Equal(HttpStatusCode.OK, (await SignIn(app, "192.0.2.60", login, password)).StatusCode);
        for (var i = 0; i < 4; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignIn(app, $"203.0.113.{20 + i}", $"made-up-{i}", "whatever-it-is")).StatusCode);

        var refused = await SignIn(app, "203.0.113.99", login, password);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("at the fleet", (string)(await FleetApp.Body(refused))["detail"]!);
        Assert.Equal(HttpStatusCode.OK, (await SignIn(app, "192.0.2.60", login, password)).StatusCode);
    }

    [Fact]
    public async Task Password_checks_beyond_the_cap_are_turned_away_instead_of_queueing_on_the_CPU()
    {
        using var app = With(("Login:ConcurrentChecks", "1"), ("Login:CheckQueueWait", "00:00:00"));
        using var warm = app.CreateClient(); // the host starts before the burst
        // The one check allowed is under way (held here, so the test does not depend on how fast PBKDF2 runs).
        var turn = await app.Services.GetRequiredService<LoginThrottle>().TurnToCheck(CancellationToken.None);
        Assert.NotNull(turn);

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => SignIn(app, $"198.51.100.{100 + i}", $"made-up-{i}", "whatever-it-is")));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.TooManyRequests, a.StatusCode));
        Assert.All(answers, a => Assert.NotNull(a.Headers.RetryAfter));
        turn!.Dispose();
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignIn(app, "198.51.100.200", "made-up-9", "whatever-it-is")).StatusCode);
    }

    [Theory]
    [InlineData("192.0.2.1", "192.0.2.1")]
    [InlineData("::ffff:192.0.2.1", "192.0.2.1")]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    public void A_client_is_an_IPv4_address_or_an_IPv6_network(string address, string client) =>
        Assert.Equal(client, LoginThrottle.ClientOf(IPAddress.Parse(address)));

    /// <summary>The same fleet (database, people) with a fresh throttle and these limits.</summary>
    private WebApplicationFactory<Program> With(params (string Key, string Value)[] settings) =>
        fleet.WithWebHostBuilder(b =>
        {
            foreach (var (key, value) in settings) b.UseSetting(key, value);
        });

    private static async Task<HttpResponseMessage> SignIn(WebApplicationFactory<Program> app, string address, string login, string password)
    {
        using var http = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/login") { Content = JsonContent.Create(new { login, password }) };
        request.Headers.Add("X-Forwarded-For", address);
        return await http.SendAsync(request);
    }
}
