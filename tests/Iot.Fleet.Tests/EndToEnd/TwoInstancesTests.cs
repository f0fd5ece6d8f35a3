using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Iot.Fleet.Storage;
using Iot.Stack;
using Iot.Testing;
using Xunit;
using Xunit.Abstractions;
using static Iot.Fleet.Tests.EndToEnd.PipelineFixture;

namespace Iot.Fleet.Tests.EndToEnd;

/// <summary>
/// Two fleet instances on one PostgreSQL and one broker whose accounts they manage (issue 17 item 7): both ingest through
/// a shared subscription, one leads; the leader is killed in the middle of a stream, the other takes over within 10 s,
/// leads keep coming, and when the killed one is back (as systemd restarts it) nothing is lost or doubled.
/// </summary>
public sealed class TwoInstancesTests(ITestOutputHelper output) : IDisposable
{
    private const int Gateways = 3, Minutes = 900;
    private const string Group = "ingest";
    private readonly List<IDisposable> _servers = [];

    /// <summary>Purifier off with the fan on for 20 minutes from these minutes of the stream: one before the kill, two after.</summary>
    private static readonly int[] Episodes = [150, 500, 800];

    private static bool Breach(int i) => Episodes.Any(e => i >= e && i < e + 20);

    [Fact]
    public async Task The_leader_killed_mid_stream_hands_over_within_ten_seconds_and_nothing_is_lost_or_doubled()
    {
        var state = Directory.CreateTempSubdirectory("iot-two-").FullName;
        var passwords = Path.Combine(state, "passwords");
        var acl = Path.Combine(state, "acl");
        File.WriteAllText(passwords, "");
        File.WriteAllText(acl, "");
        var broker = Keep(MosquittoBroker.Start(new MosquittoOptions { Persistence = true, PasswordFile = passwords, AclFile = acl }));
        var influx = Keep(InfluxServer.Start());
        var database = TestDatabase.Fresh();
        var adminToken = Guid.NewGuid().ToString("N");
        FleetOptions Options(string name) => new()
        {
            MqttHost = broker.Host, MqttPort = broker.Port, InfluxUrl = influx.Url, DatabaseConnectionString = database, ClientId = name,
            StateDirectory = Path.Combine(state, name), AdminToken = adminToken,
            Environment =
            {
                ["Mqtt__SharedGroup"] = Group,
                ["Mqtt__DeviceMessagesPerSecond"] = "0",
                ["Broker__Enabled"] = "true",
                ["Broker__PasswordFile"] = passwords,
                ["Broker__AclFile"] = acl,
                ["Broker__PidFile"] = broker.PidFile,
            },
        };
        var a = FleetServer.Start(Options("fleet-a"));
        _servers.Add(a);
        var b = FleetServer.Start(Options("fleet-b"));
        _servers.Add(b);
        var leader = await Eventually(async () => (await IsLeader(a), await IsLeader(b)), l => l.Item1 != l.Item2, "exactly one leader", [a, b]) is (true, _) ? a : b;
        var standby = leader == a ? b : a;
        // Campaigns live in the leader's memory: a standby refuses to change one, saying where to go.
        using (var http = standby.Http())
        {
            var refused = await http.PostAsJsonAsync("/api/campaigns", new { version = "9.9.9" });
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Contains("standby", await refused.Content.ReadAsStringAsync());
        }
        using (var http = leader.Http())
            Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync("/api/campaigns", new { version = "9.9.9" })).StatusCode);

        // Devices registered through either instance: both write the broker's files, and neither drops the other's accounts.
        var credentials = new Dictionary<string, string>();
        for (var g = 0; g < Gateways; g++)
        {
            var fleet = g % 2 == 0 ? a : b;
            using var http = fleet.Http();
            var site = $"TWO-{g}";
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/sites",
                new { id = site, name = $"Site {site}", kind = "fume", timezone = "Asia/Shanghai", grid = "G-1", profile = "default" })).StatusCode);
            var created = await http.PostAsJsonAsync("/api/devices", new { id = Device(g), site });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            credentials[Device(g)] = (string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["credentials"]!["password"]!;
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync($"/api/sites/{site}/commissioning",
                new { passed = true, note = "test: reviewed before the records it judges", validFrom = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero) })).StatusCode);
        }
        var file = File.ReadAllText(passwords);
        foreach (var user in new[] { "fleet@fleet-a", "fleet@fleet-b", Device(0), Device(1), Device(2) })
            Assert.Contains(user + ":", file);
        // Both instances are still subscribed after every reload of the broker's files.
        await Eventually(async () => (await Ready(a), await Ready(b)), r => r == (true, true), "both instances ready", [a, b]);

        var gateways = new List<TestMqttClient>();
        for (var g = 0; g < Gateways; g++)
            gateways.Add(await TestMqttClient.ConnectAsync(TestMqttClient.Options(broker.Host, broker.Port, Device(g))
                .WithCredentials(Device(g), credentials[Device(g)]).Build()));
        var start = Minute(DateTimeOffset.UtcNow.AddMinutes(-Minutes - 5));
        var published = 0;
        var publishing = Task.Run(async () =>
        {
            for (var i = 0; i < Minutes; i++)
            {
                var m = Breach(i) ? """{"fume":0.8,"fan":1,"pur":0}""" : """{"fume":0.8,"fan":1,"pur":1}""";
                for (var g = 0; g < Gateways; g++)
                    await gateways[g].PublishAsync($"iot/v1/{Device(g)}/telemetry", Envelope(Device(g), ((uint)(i + 1), start + i * 60, 0, m)));
                Volatile.Write(ref published, i + 1);
                // About 150 records a second: the stream outlasts the kill and the handover.
                if (i % 10 == 9) await Task.Delay(200);
            }
        });

        // The first episode is judged by the first leader; then it is killed, in the middle of the stream.
        await Eventually(() => LeadCount(database), n => n >= Gateways, "the first episode's leads", [a, b], 60);
        Assert.True(Volatile.Read(ref published) < Episodes[1], $"the stream reached minute {published} before the kill");
        var killed = Stopwatch.StartNew();
        leader.Kill();
        await Eventually(() => IsLeader(standby), l => l, "the standby to lead", [standby], 30);
        var handover = killed.Elapsed;
        output.WriteLine($"handover after the leader's SIGKILL: {handover.TotalSeconds:F1} s (stream at minute {Volatile.Read(ref published)} of {Minutes})");
        Assert.True(handover <= TimeSpan.FromSeconds(10), $"the standby took {handover.TotalSeconds:F1} s to lead");

        // Leads keep coming while the killed instance is away: the second episode, judged by the new leader. (The broker
        // keeps the dead instance's share of the group for its session, so its records come when it is back.)
        var leadsBeforeRestart = await Eventually(() => LeadCount(database), n => n >= 2 * Gateways, "the second episode's leads from the new leader",
            [standby], 90);
        output.WriteLine($"leads while one instance was down: {leadsBeforeRestart}");
        leader.Restart();
        await publishing;

        await Eventually(() => RecordCount(database), n => n == Gateways * Minutes, $"all {Gateways * Minutes} records in the journal", [a, b], 120);
        var leads = await Eventually(() => Leads(database), l => l.Count >= Episodes.Length * Gateways, "every episode's lead", [a, b], 60);
        // Exactly one lead per site and episode, each starting where its episode starts: nothing doubled by two judges.
        await Task.Delay(TimeSpan.FromSeconds(2));
        leads = await Leads(database);
        Assert.Equal(Episodes.Length * Gateways, leads.Count);
        for (var g = 0; g < Gateways; g++)
            Assert.Equal(Episodes.Select(e => start + e * 60L),
                leads.Where(l => l.Site == $"TWO-{g}").Select(l => l.StartMinute * 60).Order());
        Assert.Equal(0, await Read(database, c => c.ExecuteScalar<long>("SELECT COUNT(*) FROM (SELECT dev, seq FROM records GROUP BY dev, seq HAVING COUNT(*) > 1) d")));
        foreach (var gateway in gateways) await gateway.DisposeAsync();
    }

    private static string Device(int g) => $"GW-TWO-{g}";

    private T Keep<T>(T server) where T : IDisposable
    {
        _servers.Add(server);
        return server;
    }

    private static async Task<bool> IsLeader(FleetServer fleet) => (await Health(fleet))?["leader"]?.GetValue<bool>() ?? false;

    private static async Task<bool> Ready(FleetServer fleet) => (await Health(fleet))?["ready"]?.GetValue<bool>() ?? false;

    private static async Task<JsonNode?> Health(FleetServer fleet)
    {
        try
        {
            using var http = new HttpClient { BaseAddress = fleet.Url, Timeout = TimeSpan.FromSeconds(2) };
            return JsonNode.Parse(await (await http.GetAsync("/healthz")).Content.ReadAsStringAsync());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    private sealed record LeadRow(string Site, long StartMinute);

    private static Task<List<LeadRow>> Leads(string database) => Read(database, c => c.Query<LeadRow>(
        "SELECT site AS Site, start_minute AS StartMinute FROM leads WHERE rule = 'fume.purifier_off' AND site LIKE 'TWO-%'").ToList());

    private static async Task<long> LeadCount(string database) => (await Leads(database)).Count;

    private static Task<long> RecordCount(string database) =>
        Read(database, c => c.ExecuteScalar<long>("SELECT COUNT(*) FROM records WHERE dev LIKE 'GW-TWO-%'"));

    private static Task<T> Read<T>(string database, Func<System.Data.Common.DbConnection, T> query)
    {
        using var fleetDatabase = new FleetDatabase(database);
        using var connection = fleetDatabase.Open();
        return Task.FromResult(query(connection));
    }

    private static async Task<T> Eventually<T>(Func<Task<T>> probe, Func<T, bool> done, string what, FleetServer[] fleets, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        T last;
        do
        {
            last = await probe();
            if (done(last)) return last;
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"{what} did not happen in {seconds} s; last seen: {last}\n" +
            string.Join("\n", fleets.Select(f => $"{f.Options.ClientId}:\n{f.RecentOutput}")));
    }

    public void Dispose()
    {
        for (var i = _servers.Count - 1; i >= 0; i--) _servers[i].Dispose();
    }
}
