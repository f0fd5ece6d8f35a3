using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Iot.Fleet.Api;
using Iot.Fleet.People;
using Iot.Fleet.Tests.People;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Xunit;
using Iot.Testing;

namespace Iot.Fleet.Tests.Security;

/// <summary>The admin token is kept as its SHA-256 and can be rotated by an admin; secrets the fleet generates go to
/// files only their owner can read, and neither they nor any password reach the log.</summary>
public sealed class SecretsTests(FleetApp fleet) : IClassFixture<FleetApp>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("iot-secrets-").FullName;
    private readonly LogCapture _log = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Without_configured_secrets_the_fleet_writes_them_to_owner_only_files_and_logs_only_where()
    {
        using var app = Fresh(("Fleet:AdminToken", ""), ("Fleet:InitialAdminPassword", ""));
        using var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/login.html")).StatusCode); // started

        var tokenFile = Path.Combine(_directory, AdminToken.FileName);
        var passwordFile = Path.Combine(_directory, PeopleStore.FirstAdminPasswordFile);
        foreach (var file in new[] { tokenFile, passwordFile })
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var token = File.ReadAllText(tokenFile).Trim();
        var password = File.ReadAllText(passwordFile).Trim();

        using var tool = Bearer(app, token);
        Assert.Equal("admin-token", (await tool.GetFromJsonAsync<Me>("/api/me", FleetApp.Json))!.Login);
        var signIn = await app.CreateClient().PostAsJsonAsync("/api/login", new { login = "admin", password });
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);

        var log = _log.Text;
        Assert.Contains(tokenFile, log);
        Assert.Contains(passwordFile, log);
        Assert.DoesNotContain(token, log);
        Assert.DoesNotContain(password, log);
        Assert.DoesNotContain(token, await StoredText());
    }

    [Fact]
    public async Task The_database_keeps_only_the_admin_tokens_SHA_256()
    {
        using var app = Fresh();
        using var anonymous = app.CreateClient();
        await anonymous.GetAsync("/login.html");

        Assert.Equal(Sha256(FleetApp.AdminToken), await Scalar("SELECT sha256 FROM admin_token"));
        Assert.DoesNotContain(FleetApp.AdminToken, await StoredText());
        Assert.Empty(Directory.GetFiles(_directory, AdminToken.FileName));
    }

    [Fact]
    public async Task An_admin_rotates_the_token_the_old_one_stops_and_a_restart_does_not_bring_it_back()
    {
        using var app = Fresh();
        using var old = Bearer(app, FleetApp.AdminToken);

        var answer = await old.PostAsync("/api/admin-token/rotate", null);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var rotated = (await answer.Content.ReadFromJsonAsync<JsonObject>(FleetApp.Json))!;
        var token = (string)rotated["token"]!;
        Assert.Equal(HttpStatusCode.Unauthorized, (await old.GetAsync("/api/me")).StatusCode);
        using var fresh = Bearer(app, token);
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/api/me")).StatusCode);
        Assert.Equal(Sha256(token), await Scalar("SELECT sha256 FROM admin_token"));

        // The audit log says it happened, never what the token is.
        var audit = await fresh.GetAllAsync("/api/audit?action=admin_token.rotate");
        Assert.Single(audit!);
        Assert.DoesNotContain(token, audit!.ToJsonString());

        // The same configuration again (a restart) leaves the rotated token in force.
        using var restarted = app.WithWebHostBuilder(_ => { });
        Assert.Equal(HttpStatusCode.Unauthorized, (await Bearer(restarted, FleetApp.AdminToken).GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Bearer(restarted, token).GetAsync("/api/me")).StatusCode);

        // A new configured token (given as its hash) takes effect.
        const string configured = "a-new-configured-admin-token";
        using var reconfigured = app.WithWebHostBuilder(b => b.UseSetting("Fleet:AdminTokenSha256", Sha256(configured)));
        Assert.Equal(HttpStatusCode.OK, (await Bearer(reconfigured, configured).GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Bearer(reconfigured, token).GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task Only_an_admin_may_rotate_the_token()
    {
        using var app = Fresh();
        using var admin = Bearer(app, FleetApp.AdminToken);
        foreach (var role in new[] { Roles.Engineer, Roles.Inspector, Roles.Installer })
        {
            var login = $"{role}-rotates";
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/people", new { login, name = login, role, password = "a-long-password" })).StatusCode);
            using var person = app.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await person.PostAsJsonAsync("/api/login", new { login, password = "a-long-password" })).StatusCode);

            Assert.Equal(HttpStatusCode.Forbidden, (await person.PostAsync("/api/admin-token/rotate", null)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().PostAsync("/api/admin-token/rotate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task No_password_reaches_the_log()
    {
        using var app = Fresh();
        using var admin = Bearer(app, FleetApp.AdminToken);
        const string password = "a-password-for-the-log-test";
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/people", new { login = "logged", name = "Logged", role = Roles.Inspector, password })).StatusCode);

        using var http = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsJsonAsync("/api/login", new { login = "logged", password = "wrong-" + password })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync("/api/login", new { login = "logged", password })).StatusCode);

        Assert.Contains("Failed sign-in for logged", _log.Text);
        Assert.DoesNotContain(password, _log.Text);
        Assert.DoesNotContain(FleetApp.AdminToken, _log.Text);
        Assert.DoesNotContain(FleetApp.AdminPassword, _log.Text);
    }

    /// <summary>The fleet on a database of its own in <see cref="_directory"/>, logging everything into <see cref="_log"/>.</summary>
    private WebApplicationFactory<Program> Fresh(params (string Key, string Value)[] settings) =>
        fleet.WithWebHostBuilder(b =>
        {
            b.UseSetting("Database:ConnectionString", Iot.Testing.TestDatabase.For(_directory));
            b.UseSetting("Database:DataDirectory", _directory);
            b.UseSetting("Logging:LogLevel:Default", "Information");
            foreach (var (key, value) in settings) b.UseSetting(key, value);
            b.ConfigureLogging(l => l.AddProvider(_log));
        });

    private static HttpClient Bearer(WebApplicationFactory<Program> app, string token)
    {
        var http = app.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return http;
    }

    private async Task<string?> Scalar(string sql)
    {
        using var database = new Iot.Fleet.Storage.FleetDatabase(Iot.Testing.TestDatabase.For(_directory));
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (string?)await command.ExecuteScalarAsync();
    }

    /// <summary>Everything the database holds, as text: its files (SQLite), or every row of every table (PostgreSQL).</summary>
    private async Task<string> StoredText()
    {
        var text = new StringBuilder();
        if (Iot.Testing.TestDatabase.IsPostgres)
        {
            using var database = new Iot.Fleet.Storage.FleetDatabase(Iot.Testing.TestDatabase.For(_directory));
            await using var connection = database.Open();
            foreach (var table in await connection.QueryAsync<string>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"))
                foreach (var row in await connection.QueryAsync<string>($"SELECT CAST(t AS text) FROM {table} t"))
                    text.AppendLine(row);
            return text.ToString();
        }
        foreach (var file in Directory.GetFiles(_directory, "fleet.db*"))
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream, Encoding.Latin1);
            text.Append(await reader.ReadToEndAsync());
        }
        return text.ToString();
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Every log line of the fleet, with its arguments filled in.</summary>
    private sealed class LogCapture : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public string Text => string.Join("\n", _lines);

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose() { }

        private sealed class Logger(LogCapture capture, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                capture._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
        }
    }
}
