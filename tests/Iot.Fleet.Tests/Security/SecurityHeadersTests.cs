using System.Net;
using System.Net.Http.Json;
using Iot.Fleet.Api;
using Iot.Fleet.Commissioning;
using Iot.Fleet.People;
using Iot.Fleet.Tests.People;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Iot.Fleet.Tests.Security;

/// <summary>Every answer carries the content security policy, nosniff, no referrer and frame protection, whatever
/// produced it; behind a TLS proxy the session cookie is Secure and HSTS is sent.</summary>
public sealed class SecurityHeadersTests(FleetApp fleet) : IClassFixture<FleetApp>
{
    [Theory]
    [InlineData("/", false, HttpStatusCode.OK)]                    // a page, through the default file
    [InlineData("/leads/lead.html", false, HttpStatusCode.OK)]     // a page
    [InlineData("/assets/app.js", false, HttpStatusCode.OK)]       // a static script
    [InlineData("/assets/words.js", false, HttpStatusCode.OK)]     // the glossary, made by the fleet
    [InlineData("/openapi/v1.json", false, HttpStatusCode.OK)]     // the API, open
    [InlineData("/api/sites", false, HttpStatusCode.Unauthorized)] // the API, refused
    [InlineData("/api/sites", true, HttpStatusCode.OK)]            // the API, answered
    [InlineData("/no/such/page", true, HttpStatusCode.NotFound)]   // nothing there
    public async Task Every_answer_carries_the_headers(string path, bool signedIn, HttpStatusCode status)
    {
        using var http = signedIn ? fleet.WithAdminToken() : fleet.Anonymous();

        var answer = await http.GetAsync(path);

        Assert.Equal(status, answer.StatusCode);
        AssertHeaders(answer);
        Assert.False(answer.Headers.Contains("Strict-Transport-Security"), "no HSTS over plain HTTP");
    }

    [Fact]
    public async Task The_policy_lets_only_the_fleets_own_script_files_run()
    {
        using var http = fleet.Anonymous();
        var policy = (await http.GetAsync("/login.html")).Headers.GetValues("Content-Security-Policy").Single();
        var directives = policy.Split(';', StringSplitOptions.TrimEntries).ToDictionary(d => d.Split(' ')[0], d => d.Split(' ')[1..]);

        Assert.Equal(["'self'"], directives["script-src"]);
        Assert.Equal(["'none'"], directives["frame-ancestors"]);
        Assert.Equal(["'none'"], directives["object-src"]);
        Assert.DoesNotContain(directives.Values.SelectMany(v => v), v => v.StartsWith("http", StringComparison.Ordinal) || v == "*");
    }

    [Fact]
    public async Task No_page_has_inline_script_or_event_handler_attributes_the_policy_would_block()
    {
        var pages = Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "wwwroot"), "*.html", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(pages);
        foreach (var page in pages)
        {
            var html = await File.ReadAllTextAsync(page);
            Assert.DoesNotMatch(@"<script(?![^>]*\ssrc=)[^>]*>", html);
            Assert.DoesNotMatch(@"\son[a-z]+\s*=", html);
            Assert.DoesNotContain("javascript:", html, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Behind_a_TLS_proxy_the_session_cookie_is_secure_and_HSTS_is_sent()
    {
        var (login, password) = await fleet.NewPerson(Roles.Inspector);
        using var http = fleet.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/login") { Content = JsonContent.Create(new { login, password }) };
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");

        var answer = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Contains("secure", answer.Headers.GetValues("Set-Cookie").Single(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpSecurity.StrictTransportSecurity, answer.Headers.GetValues("Strict-Transport-Security").Single());
        AssertHeaders(answer);
    }

    [Theory]
    [InlineData(null, false)]         // a stranger's X-Forwarded-Proto is ignored
    [InlineData("203.0.113.9", true)] // a configured proxy's is believed
    public async Task Forwarded_headers_count_only_from_loopback_and_configured_proxies(string? knownProxy, bool believed)
    {
        using var app = fleet.WithWebHostBuilder(b =>
        {
            if (knownProxy is not null) b.UseSetting("Proxy:KnownProxies:0", knownProxy);
            b.ConfigureTestServices(services => services.AddSingleton<IStartupFilter>(new FromAddress(IPAddress.Parse("203.0.113.9"))));
        });
        using var http = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/login.html");
        request.Headers.Add("X-Forwarded-Proto", "https");

        var answer = await http.SendAsync(request);

        Assert.Equal(believed, answer.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Over_plain_HTTP_the_session_cookie_is_not_marked_secure()
    {
        var (login, password) = await fleet.NewPerson(Roles.Inspector);
        using var http = fleet.Anonymous();

        var answer = await http.PostAsJsonAsync("/api/login", new { login, password });

        Assert.DoesNotContain("secure", answer.Headers.GetValues("Set-Cookie").Single(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_unhandled_error_is_a_500_problem_with_the_headers()
    {
        using var broken = fleet.WithWebHostBuilder(b => b.ConfigureTestServices(services =>
            services.AddSingleton<CommissioningRecords>(_ => throw new InvalidOperationException("test: the records cannot be read"))));
        using var http = broken.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", FleetApp.AdminToken);

        var answer = await http.GetAsync("/api/commissioning/1/photo");

        Assert.Equal(HttpStatusCode.InternalServerError, answer.StatusCode);
        Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("test: the records", await answer.Content.ReadAsStringAsync());
        AssertHeaders(answer);
    }

    /// <summary>Every request arrives from <paramref name="address"/>, as from a peer on the network (the test host has none).</summary>
    private sealed class FromAddress(IPAddress address) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, then) =>
            {
                http.Connection.RemoteIpAddress = address;
                return then(http);
            });
            next(app);
        };
    }

    private static void AssertHeaders(HttpResponseMessage answer)
    {
        Assert.Equal(HttpSecurity.ContentSecurityPolicy, answer.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", answer.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", answer.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", answer.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("frame-ancestors 'none'", HttpSecurity.ContentSecurityPolicy);
    }
}
