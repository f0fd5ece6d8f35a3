using System.Net.Http.Json;
using System.Net;
using System.Text.Json.Nodes;
using Iot.Hj212;
using Iot.Stack;
using Iot.Testing;
using Xunit;
using static Iot.Fleet.Tests.EndToEnd.PipelineFixture;

namespace Iot.Fleet.Tests.EndToEnd;

/// <summary>Real Mosquitto, InfluxDB and fleet process, and a simulated environmental platform the fleet forwards to
/// (HJ 212-2025, short OverTime and retry times so that refusals resolve within a test).</summary>
public sealed class Hj212Fixture : IDisposable
{
    public const string Mn = "0A1B2C3D4E5F000000000001", HistoryMn = "0A1B2C3D4E5F000000000002", TwoMn = "0A1B2C3D4E5F000000000003", ApiMn = "0A1B2C3D4E5F000000000004", Pw = "123456", St = "39";

    public Hj212Fixture()
    {
        Broker = MosquittoBroker.Start();
        Influx = InfluxServer.Start();
        Platform = new SimulatedPlatform();
        var options = new FleetOptions { MqttHost = Broker.Host, MqttPort = Broker.Port, InfluxUrl = Influx.Url, DatabaseConnectionString = Iot.Testing.TestDatabase.ForFleetServer() };
        options.Environment["Mqtt__DeviceMessagesPerSecond"] = "0";
        var e = options.Environment;
        e["Hj212__Platforms__sim__Host"] = Platform.Host;
        e["Hj212__Platforms__sim__Port"] = Platform.Port.ToString();
        e["Hj212__Platforms__sim__St"] = St;
        e["Hj212__Platforms__sim__Pw"] = Pw;
        e["Hj212__Platforms__sim__Version"] = "2025";
        e["Hj212__Platforms__sim__OverTimeSeconds"] = "0.5";
        e["Hj212__Platforms__sim__ReCount"] = "2";
        e["Hj212__RetryMinutes"] = "0.02";
        e["Hj212__MaxRetryMinutes"] = "0.05";
        // A site id with '-' cannot be an environment name (/bin/sh drops it): the key is then any name and Site the id.
        e["Hj212__Sites__0__Site"] = "HJ-DUST";
        e["Hj212__Sites__0__Platform"] = "sim";
        e["Hj212__Sites__0__Mn"] = Mn;
        e["Hj212__Sites__HJHIST__Platform"] = "sim";
        e["Hj212__Sites__HJHIST__Mn"] = HistoryMn;
        e["Hj212__Sites__HJTWO__Platform"] = "sim";
        e["Hj212__Sites__HJTWO__Mn"] = TwoMn;
        Fleet = FleetServer.Start(options);
    }

    public MosquittoBroker Broker { get; }
    public InfluxServer Influx { get; }
    public SimulatedPlatform Platform { get; }
    public FleetServer Fleet { get; }

    public void Dispose()
    {
        Fleet.Dispose();
        Platform.Dispose();
        Influx.Dispose();
        Broker.Dispose();
    }
}

public sealed class Hj212ForwardingTests(Hj212Fixture hj) : IClassFixture<Hj212Fixture>
{
    private static string Dust(int i) => $$"""{"pm10":{{80 + i}},"pm25":{{40 + i % 7}},"tsp":{{120 + i}},"rh":55,"temp":12.5,"wind":1.5,"wdir":270}""";

    [Fact]
    public async Task The_platform_ends_with_every_minute_exactly_once_through_dropped_connections_refusals_and_a_fleet_restart()
    {
        await Register("HJ-DUST", "GW-HJ-1");
        await using var gateway = await Gateway("GW-HJ-1");
        var start = Minute(DateTimeOffset.UtcNow.AddMinutes(-120));
        async Task Publish(int from, int to)
        {
            for (var i = from; i < to; i++)
                await gateway.PublishAsync("iot/v1/GW-HJ-1/telemetry", Envelope("GW-HJ-1", ((uint)(i + 1), start + i * 60, 0, Dust(i))));
        }
        int Kept() => hj.Platform.Kept.Keys.Count(k => k.Mn == Hj212Fixture.Mn);

        await Publish(0, 20);
        await Eventually(() => Kept() == 20, "the first 20 minutes at the platform");

        // The platform refuses for a while (no 9014, nothing kept), then drops every connection and turns new ones away.
        hj.Platform.Refusing = true;
        await Publish(20, 40);
        await Task.Delay(2000);
        hj.Platform.Closing = true;
        hj.Platform.DropConnections();
        await Task.Delay(1500);
        hj.Platform.Closing = false;
        await Task.Delay(1000);
        hj.Platform.Refusing = false;
        await Eventually(() => Kept() >= 25, "the platform to take frames again");

        // The fleet is killed with frames still owed and restarted on the same database; more minutes arrive meanwhile.
        hj.Platform.Refusing = true;
        await Publish(40, 50);
        await Task.Delay(1000);
        hj.Fleet.Kill();
        Assert.True(Owed() >= 10, $"the fleet was killed owing the platform {Owed()} minutes");
        hj.Platform.Refusing = false;
        hj.Fleet.Restart();
        await Publish(50, 60);

        await Eventually(() => Kept() == 60, "all 60 minutes at the platform", 90);
        var data = hj.Platform.Received.Where(p => p.Mn == Hj212Fixture.Mn && p.Cn == Hj212Commands.MinuteData).ToList();
        Assert.Equal(0, hj.Platform.Broken);
        // Every minute once, DataTime the window start (Beijing time), and every copy of a minute the same frame.
        var expected = Enumerable.Range(0, 60).Select(i => Hj212Time.Format(DateTimeOffset.FromUnixTimeSeconds(start + i * 60), Hj212Time.ChinaOffset)).ToHashSet();
        Assert.Equal(expected, hj.Platform.Kept.Keys.Where(k => k.Mn == Hj212Fixture.Mn).Select(k => k.DataTime).ToHashSet());
        foreach (var minute in data.GroupBy(p => p.Cp.DataTime))
            Assert.Single(minute.Select(p => (p.Qn, p.Cp.Text)).Distinct());
        // Re-sends say so (2025); the values are in the platform's units.
        Assert.Contains(data, p => p.Resent);
        var first = hj.Platform.Kept[(Hj212Fixture.Mn, Hj212Commands.MinuteData, Hj212Time.Format(DateTimeOffset.FromUnixTimeSeconds(start), Hj212Time.ChinaOffset))];
        Assert.Equal(Hj212Fixture.St, first.St);
        Assert.Equal(Hj212Fixture.Pw, first.Pw);
        var pm10 = first.Cp.Factors.Single(f => f.Code == "a34002");
        Assert.Equal((0.08, 0.08, 0.08, "N"), (pm10.Number("Min"), pm10.Number("Avg"), pm10.Number("Max"), pm10.Flag));
        Assert.Equal(["a01001", "a01002", "a01007", "a01008", "a34001", "a34002", "a34004"], first.Cp.Factors.Select(f => f.Code));

        var queue = await Eventually(async () => (await hj.Fleet.Http().GetAllAsync("/api/hj212/queue")).Single(s => (string)s!["site"]! == "HJ-DUST")!,
            s => (long)s["pending"]! == 0 && (long)s["acknowledged"]! == 60, "the queue to be empty");
        Assert.Equal(Hj212Fixture.Mn, (string)queue["mn"]!);
        var page = await hj.Fleet.Http().GetStringAsync("/engineer/ingest");
        Assert.Contains("HJ 212 forwarding", page);
    }

    [Fact]
    public async Task The_forwarder_answers_a_history_request_with_the_stored_frames_and_the_time_commands()
    {
        await Register("HJHIST", "GW-HJ-2");
        await using var gateway = await Gateway("GW-HJ-2");
        var start = Minute(DateTimeOffset.UtcNow.AddMinutes(-60));
        for (var i = 0; i < 10; i++)
            await gateway.PublishAsync("iot/v1/GW-HJ-2/telemetry", Envelope("GW-HJ-2", ((uint)(i + 1), start + i * 60, 0, Dust(i))));
        await Eventually(() => hj.Platform.Kept.Keys.Count(k => k.Mn == Hj212Fixture.HistoryMn) == 10, "10 minutes at the platform");

        var now = DateTimeOffset.UtcNow;
        var history = Hj212Builder.HistoryRequest(Hj212Commands.MinuteData, Hj212Fixture.HistoryMn, Hj212Fixture.Pw, Hj212Fixture.St,
            DateTimeOffset.FromUnixTimeSeconds(start + 2 * 60), DateTimeOffset.FromUnixTimeSeconds(start + 5 * 60), now);
        await hj.Platform.SendAsync(Hj212Fixture.HistoryMn, history);
        var answers = await Eventually(() => Answers(history.Qn!), a => a.Any(p => p.Cn == Hj212Commands.ExecutionResult), "the history answer");
        Assert.Equal("1", answers.Single(p => p.Cn == Hj212Commands.RequestAnswer).Cp["QnRtn"]);
        Assert.Equal("1", answers.Single(p => p.Cn == Hj212Commands.ExecutionResult).Cp["ExeRtn"]);
        var resent = hj.Platform.Received.Where(p => p.Mn == Hj212Fixture.HistoryMn && p.Cn == Hj212Commands.MinuteData && p.Resent).Select(p => p.Cp.DataTime!).ToHashSet();
        Assert.Equal(Enumerable.Range(2, 4).Select(i => Hj212Time.Format(DateTimeOffset.FromUnixTimeSeconds(start + i * 60), Hj212Time.ChinaOffset)).ToHashSet(), resent);
        Assert.Equal(10, hj.Platform.Kept.Keys.Count(k => k.Mn == Hj212Fixture.HistoryMn));

        var getTime = Hj212Builder.GetTime(Hj212Fixture.HistoryMn, Hj212Fixture.Pw, Hj212Fixture.St, DateTimeOffset.UtcNow.AddSeconds(1));
        await hj.Platform.SendAsync(Hj212Fixture.HistoryMn, getTime);
        var time = await Eventually(() => Answers(getTime.Qn!), a => a.Any(p => p.Cn == Hj212Commands.ExecutionResult), "the time answer");
        Assert.True(Hj212Time.TryParse(time.Single(p => p.Cn == Hj212Commands.GetTime).Cp["SystemTime"], Hj212Time.ChinaOffset, out var system));
        Assert.InRange(system, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));

        var setTime = Hj212Builder.SetTime(Hj212Fixture.HistoryMn, Hj212Fixture.Pw, Hj212Fixture.St, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddSeconds(2));
        await hj.Platform.SendAsync(Hj212Fixture.HistoryMn, setTime);
        var set = await Eventually(() => Answers(setTime.Qn!), a => a.Any(p => p.Cn == Hj212Commands.ExecutionResult), "the set-time answer");
        Assert.Equal("1", set.Single(p => p.Cn == Hj212Commands.RequestAnswer).Cp["QnRtn"]);
    }

    [Fact]
    public async Task A_sites_minute_waits_for_its_other_device_and_goes_as_one_frame_over_both()
    {
        await Register("HJTWO", "GW-HJ-3", "GW-HJ-4");
        await using var a = await Gateway("GW-HJ-3");
        await using var b = await Gateway("GW-HJ-4");
        var minute = Minute(DateTimeOffset.UtcNow.AddMinutes(-30));
        await a.PublishAsync("iot/v1/GW-HJ-3/telemetry", Envelope("GW-HJ-3", (1, minute, 0, """{"pm10":60,"pm25":30}""")));
        await Task.Delay(3000);
        Assert.DoesNotContain(hj.Platform.Kept.Keys, k => k.Mn == Hj212Fixture.TwoMn);
        await b.PublishAsync("iot/v1/GW-HJ-4/telemetry", Envelope("GW-HJ-4", (1, minute, 0, """{"pm10":100,"pm25":50}""")));
        await Eventually(() => hj.Platform.Kept.Keys.Any(k => k.Mn == Hj212Fixture.TwoMn), "the site's minute at the platform");
        var pm10 = hj.Platform.Kept.Single(k => k.Key.Mn == Hj212Fixture.TwoMn).Value.Cp.Factors.Single(f => f.Code == "a34002");
        Assert.Equal((0.06, 0.08, 0.1), (pm10.Number("Min"), pm10.Number("Avg"), pm10.Number("Max")));
    }

    [Fact]
    public async Task A_site_whose_mn_is_set_through_the_api_reports_under_it_at_once_and_the_change_is_audited()
    {
        await Register("HJAPI", "GW-HJ-5");
        using var http = hj.Fleet.Http();
        async Task<HttpStatusCode> Put(string site, object body) => (await http.PutAsJsonAsync($"/api/hj212/sites/{site}", body)).StatusCode;
        Assert.Equal(HttpStatusCode.BadRequest, await Put("HJAPI", new { platform = "nosuch", mn = Hj212Fixture.ApiMn }));
        Assert.Equal(HttpStatusCode.BadRequest, await Put("HJAPI", new { platform = "sim", mn = "MN;1" }));
        Assert.Equal(HttpStatusCode.NotFound, await Put("NO-SUCH-SITE", new { platform = "sim", mn = Hj212Fixture.ApiMn }));
        Assert.Equal(HttpStatusCode.Conflict, await Put("HJAPI", new { platform = "sim", mn = Hj212Fixture.Mn })); // HJ-DUST's, from configuration
        Assert.Equal(HttpStatusCode.OK, await Put("HJAPI", new { platform = "sim", mn = Hj212Fixture.ApiMn }));

        // No restart: the forwarder connects for the new site and its minutes go out under the MN just set.
        await using var gateway = await Gateway("GW-HJ-5");
        var start = Minute(DateTimeOffset.UtcNow.AddMinutes(-20));
        for (var i = 0; i < 5; i++)
            await gateway.PublishAsync("iot/v1/GW-HJ-5/telemetry", Envelope("GW-HJ-5", ((uint)(i + 1), start + i * 60, 0, Dust(i))));
        await Eventually(() => hj.Platform.Kept.Keys.Count(k => k.Mn == Hj212Fixture.ApiMn) == 5, "5 minutes under the MN set through the API");

        var site = (await http.GetAllAsync("/api/hj212/sites")).Single(s => (string)s!["site"]! == "HJAPI")!;
        Assert.Equal((Hj212Fixture.ApiMn, "sim", "api"), ((string)site["mn"]!, (string)site["platform"]!, (string)site["source"]!));
        var audit = await http.GetStringAsync("/api/audit?action=hj212.site.report");
        Assert.Contains("site:HJAPI", audit);
        Assert.Contains(Hj212Fixture.ApiMn, audit);
        // The refused attempts stored nothing: the site reports under one MN.
        Assert.DoesNotContain(hj.Platform.Kept.Keys, k => k.Mn == "MN;1");
    }

    /// <summary>Minutes of HJ-DUST the fleet's database still owes the platform: frames without a 9014, minutes waiting for
    /// their frame, records the forwarder has not read yet.</summary>
    private long Owed()
    {
        using var database = new Iot.Fleet.Storage.FleetDatabase(Iot.Testing.TestDatabase.Of(hj.Fleet));
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText =
            """
            SELECT (SELECT COUNT(*) FROM hj212_frames WHERE site = 'HJ-DUST' AND acked_at IS NULL)
                 + (SELECT COUNT(DISTINCT minute) FROM hj212_open WHERE site = 'HJ-DUST')
                 + (SELECT COUNT(*) FROM records WHERE site = 'HJ-DUST' AND row_id > COALESCE((SELECT value FROM cursors WHERE name = 'hj212'), 0))
            """;
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>What the forwarder sent back to a platform request (same QN), other than data.</summary>
    private Task<List<Hj212Packet>> Answers(string qn) =>
        Task.FromResult(hj.Platform.Received.Where(p => p.Qn == qn && p.Cn != Hj212Commands.MinuteData).ToList());

    private async Task Register(string site, params string[] devices)
    {
        using var http = hj.Fleet.Http();
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/sites", new { id = site, name = $"Site {site}", kind = "dust", timezone = "Asia/Shanghai", grid = "G-1", profile = "default" })).StatusCode);
        foreach (var device in devices)
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/devices", new { id = device, site })).StatusCode);
    }

    private Task<TestMqttClient> Gateway(string device) => TestMqttClient.ConnectAsync(hj.Broker.Host, hj.Broker.Port, device);

    private Task Eventually(Func<bool> done, string what, int seconds = 60) =>
        Eventually(() => Task.FromResult(done()), d => d, what, seconds);

    private async Task<T> Eventually<T>(Func<Task<T>> probe, Func<T, bool> done, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        T last = default!;
        do
        {
            try
            {
                last = await probe();
                if (done(last)) return last;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"{what} did not happen in {seconds} s; last seen: {last}\nplatform kept {hj.Platform.Kept.Count}, received {hj.Platform.Received.Count}\nfleet output:\n{hj.Fleet.RecentOutput}");
    }
}
