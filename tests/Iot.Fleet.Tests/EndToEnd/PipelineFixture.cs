using System.Net.Http.Json;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.Json;
using System.Text;
using Iot.Stack;
using Iot.Testing;
using Dapper;
using Xunit;

namespace Iot.Fleet.Tests.EndToEnd;

/// <summary>Real Mosquitto, real InfluxDB and the fleet as its own process, shared by the
/// end-to-end tests (which run one after another: some of them kill a server).</summary>
public sealed class PipelineFixture : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public PipelineFixture() : this(new Dictionary<string, string>())
    {
    }

    /// <summary>A fixture of its own, with extra fleet configuration (environment variables, e.g. "Mqtt__SharedGroup").
    /// A factory, not a constructor: xUnit allows a collection fixture only one public constructor.</summary>
    public static PipelineFixture Configured(IReadOnlyDictionary<string, string> environment) => new(environment);

    private PipelineFixture(IReadOnlyDictionary<string, string> environment)
    {
        Broker = MosquittoBroker.Start();
        Influx = InfluxServer.Start();
        // The HJ 212 receiver too, for the simulated third-party monitors (Hj212EndToEndTests).
        var options = new FleetOptions { MqttHost = Broker.Host, MqttPort = Broker.Port, InfluxUrl = Influx.Url, Hj212Port = LocalPort.Free(),
            DatabaseConnectionString = TestDatabase.ForFleetServer() };
        options.Environment["Monitor__OfflineCheckSeconds"] = "1";
        // These tests replay hours of minutes from one device at machine speed, which no gateway does.
        options.Environment["Mqtt__DeviceMessagesPerSecond"] = "0";
        foreach (var (name, value) in environment) options.Environment[name] = value;
        Fleet = FleetServer.Start(options);
    }

    public MosquittoBroker Broker { get; }
    public InfluxServer Influx { get; }
    public FleetServer Fleet { get; private set; }

    /// <summary>Kills the fleet with SIGKILL and starts it again on the same database, after <paramref name="whileDown"/>.</summary>
    public void CrashAndRestartFleet(Action? whileDown = null)
    {
        var options = Fleet.Options;
        options.StateDirectory ??= Fleet.StateDirectory;
        Fleet.Kill();
        whileDown?.Invoke();
        Fleet = FleetServer.Start(options);
    }

    public Task<TestMqttClient> Gateway(string device) => TestMqttClient.ConnectAsync(Broker.Host, Broker.Port, device);

    /// <summary>Registers a site and its devices, commissioned (by an admin record, which covers the devices bound
    /// when it is recorded) unless told otherwise.</summary>
    public async Task Register(string site, string kind, params string[] devices) => await Register(site, kind, commissioned: true, devices);

    public async Task Register(string site, string kind, bool commissioned, params string[] devices)
    {
        using var http = Fleet.Http();
        var created = await http.PostAsJsonAsync("/api/sites", new { id = site, name = $"Site {site}", kind, timezone = "Asia/Shanghai", grid = "G-1", profile = "default" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        foreach (var device in devices)
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/devices", new { id = device, site })).StatusCode);
        if (commissioned)
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync($"/api/sites/{site}/commissioning",
                new { passed = true, note = "test fixture: reviewed before the records it judges", validFrom = WireProtocolEarliest })).StatusCode);
    }

    private static readonly DateTimeOffset WireProtocolEarliest = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Records an approved night-work permit (the admin token, as an import from the permit office); returns its id.</summary>
    public async Task<long> Permit(string site, DateTimeOffset from, DateTimeOffset to)
    {
        using var http = Fleet.Http();
        var answer = await http.PostAsJsonAsync($"/api/sites/{site}/permits", new { from, to, status = "approved" });
        Assert.Equal(HttpStatusCode.Created, answer.StatusCode);
        return (long)(await answer.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
    }

    /// <summary>A telemetry envelope of one-minute records.</summary>
    public static byte[] Envelope(string device, params (uint Seq, long T, int Q, string M)[] recs) => Encoding.UTF8.GetBytes(
        $$"""{"v":1,"dev":"{{device}}","fw":"1.0.0","boot":1,"recs":[{{string.Join(",", recs.Select(r => $$"""{"seq":{{r.Seq}},"t":{{r.T}},"dur":60,"q":{{r.Q}},"m":{{r.M}}}"""))}}]}""");

    /// <summary>Every item of the paged list at <paramref name="path"/>.</summary>
    public async Task<JsonArray> Get(string path)
    {
        using var http = Fleet.Http();
        return await http.GetAllAsync(path);
    }

    public async Task<JsonObject> GetObject(string path)
    {
        using var http = Fleet.Http();
        return (await http.GetFromJsonAsync<JsonObject>(path, Json))!;
    }

    public Task<JsonArray> Leads(string site) => Get($"/api/leads?site={site}");

    /// <summary>The site's leads of one rule: a test streaming records of long ago to a restaurant also sees its gateway
    /// "silent" in business hours (Leads/OfflineWatch's suspected-evasion lead) until the stream catches up.</summary>
    public Task<JsonArray> Leads(string site, string rule) => Get($"/api/leads?site={site}&rule={rule}");

    public async Task<T> Eventually<T>(Func<Task<T>> probe, Func<T, bool> done, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        T last;
        do
        {
            try
            {
                last = await probe();
                if (done(last)) return last;
            }
            catch (HttpRequestException)
            {
                last = default!;
            }
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"{what} did not happen in {seconds} s; last seen: {last}\nfleet output:\n{Fleet.RecentOutput}");
    }

    /// <summary>Readings of a device in InfluxDB (counted on a channel every test record carries).</summary>
    public Task<long> InfluxCount(string device, string channel = "pur") =>
        Influx.CountAsync($"SELECT COUNT({channel}) FROM reading WHERE dev = '{device}'");

    /// <summary>Rows of a device in the fleet's record journal, read from its database file.</summary>
    public long JournalCount(string device) => RowCount("records", device);

    /// <summary>Rows of a device in one table of the fleet's database file (`records`, `events`, …).</summary>
    public long RowCount(string table, string device)
    {
        using var connection = OpenDatabase();
        return connection.ExecuteScalar<long>($"SELECT COUNT(*) FROM {table} WHERE dev = @device", new { device });
    }

    /// <summary>A connection to the fleet's database (SQLite file or PostgreSQL, as the tests run).</summary>
    public System.Data.Common.DbConnection OpenDatabase() => (_database ??= new Iot.Fleet.Storage.FleetDatabase(TestDatabase.Of(Fleet))).Open();

    private Iot.Fleet.Storage.FleetDatabase? _database;

    public static long Minute(DateTimeOffset t) => t.ToUnixTimeSeconds() / 60 * 60;

    public void Dispose()
    {
        Fleet.Dispose();
        _database?.Dispose();
        Influx.Dispose();
        Broker.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class PipelineCollection : ICollectionFixture<PipelineFixture>
{
    public const string Name = "pipeline";
}
