using System.Net;
using System.Net.Http.Json;
using Iot.Stack;
using Xunit;

namespace Iot.Fleet.Tests.EndToEnd;

/// <summary>People of a running fleet: created with the admin token, then signed in with their password (cookie
/// session), so a test acts with a role as the pages do.</summary>
public static class FleetPeople
{
    private static int _next;

    /// <summary>A fresh person with the role, signed in; returns the client and the login the fleet records them by.</summary>
    public static async Task<(HttpClient Http, string Login)> SignInAs(FleetServer fleet, string role)
    {
        var login = $"{role}-{Interlocked.Increment(ref _next)}";
        var password = $"pw-{Guid.NewGuid():N}";
        using (var admin = fleet.Http())
        {
            var created = await admin.PostAsJsonAsync("/api/people", new { login, name = $"Test {login}", role, password });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = fleet.Url, Timeout = TimeSpan.FromSeconds(30) };
        var signedIn = await http.PostAsJsonAsync("/api/login", new { login, password });
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        return (http, login);
    }
}
