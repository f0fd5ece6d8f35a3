using System.Net.Http.Json;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.Json;
using Iot.Fleet.People;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;
using Iot.Fleet.Storage;

namespace Iot.Fleet.Tests.People;

/// <summary>The fleet in memory (TestServer) on a temp SQLite database, without its MQTT, InfluxDB and
/// campaign workers: these tests are about who may do what, not about telemetry.</summary>
public sealed class FleetApp : WebApplicationFactory<Program>
{
    public const string AdminToken = "test-admin-token-0123456789";
    public const string AdminPassword = "first-admin-password";
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly string _directory = Directory.CreateTempSubdirectory("iot-people-").FullName;
    private int _next;

    private FleetDatabase? _database;

    /// <summary>The fleet's database (Iot.Testing.TestDatabase: SQLite in the temp folder, or PostgreSQL).</summary>
    public string ConnectionString => Iot.Testing.TestDatabase.For(_directory);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Database:ConnectionString", ConnectionString);
        builder.UseSetting("Database:DataDirectory", _directory);
        builder.UseSetting("Fleet:AdminToken", AdminToken);
        builder.UseSetting("Fleet:InitialAdminPassword", AdminPassword);
        builder.UseSetting("Mqtt:Port", "1"); // nothing listens there; the ingest is removed below anyway
        builder.UseSetting("Influx:Url", "http://127.0.0.1:1");
        builder.UseSetting("Updates:Directory", Path.Combine(_directory, "releases"));
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.ConfigureTestServices(services =>
        {
            // The fleet's own background workers; the web host's service stays.
            foreach (var worker in services.Where(d => d.ServiceType == typeof(IHostedService)
                         && (d.ImplementationFactory is not null || d.ImplementationType?.Assembly == typeof(FleetSetup).Assembly)).ToList())
                services.Remove(worker);
        });
    }

    /// <summary>A client with a cookie jar and no credentials yet.</summary>
    public HttpClient Anonymous() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    /// <summary>A client that sends the configured admin token (what FleetServer.Http() does).</summary>
    public HttpClient WithAdminToken() => Bearer(AdminToken);

    public HttpClient Bearer(string token)
    {
        var http = Anonymous();
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return http;
    }

    /// <summary>A client signed in with a cookie session.</summary>
    public async Task<HttpClient> SignIn(string login, string password)
    {
        var http = Anonymous();
        var answer = await http.PostAsJsonAsync("/api/login", new { login, password });
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        return http;
    }

    /// <summary>Creates a person with a fresh login (as the admin token); returns login and password.</summary>
    public async Task<(string Login, string Password)> NewPerson(string role, string? squad = null)
    {
        var login = $"{role}-{Interlocked.Increment(ref _next)}";
        var password = $"pw-{Guid.NewGuid():N}";
        using var admin = WithAdminToken();
        var answer = await admin.PostAsJsonAsync("/api/people", new { login, name = $"Test {login}", role, password, squad });
        Assert.Equal(HttpStatusCode.Created, answer.StatusCode);
        return (login, password);
    }

    /// <summary>A signed-in client for a fresh person with the role.</summary>
    public async Task<HttpClient> As(string role)
    {
        var (login, password) = await NewPerson(role);
        return await SignIn(login, password);
    }

    public static string SiteId() => $"T-{Guid.NewGuid():N}"[..16].ToUpperInvariant();

    public static async Task<JsonNode> Body(HttpResponseMessage answer) => JsonNode.Parse(await answer.Content.ReadAsStringAsync())!;

    /// <summary>A connection to the fleet's database, for what the API does not show.</summary>
    public System.Data.Common.DbConnection Database() => (_database ??= new FleetDatabase(ConnectionString)).Open();

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _database?.Dispose();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class FleetAppCollection : ICollectionFixture<FleetApp>
{
    public const string Name = "fleet app";
}

