using System.Text.Json.Nodes;
using Iot.Fleet.Health;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;
using InfluxServer = Iot.Stack.InfluxServer;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace Iot.Fleet.Tests.Storage;

/// <summary>The fleet sets up InfluxDB's retention at every start against a real influxd: minute readings kept two years,
/// hourly means ten, made by a continuous query whose points answer the same query as the minutes; a changed setting
/// is applied on the next start.</summary>
public sealed class InfluxRetentionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("iot-influx-retention-").FullName;
    private readonly InfluxServer _influx = InfluxServer.Start();
    private readonly FleetDatabase _database;
    private readonly RecordJournal _journal;

    public InfluxRetentionTests()
    {
        _database = new FleetDatabase($"Data Source={_dir}/fleet.db");
        _database.Migrate();
        _journal = new RecordJournal(_database, new RawMessageStore(_database, Path.Combine(_dir, "raw")));
    }

    public void Dispose()
    {
        _influx.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Runs the InfluxDB writer until it has written <paramref name="records"/> rows (it sets up the database first).</summary>
    private async Task RunWriter(InfluxOptions options, long records)
    {
        using var writer = new InfluxWriter(_journal, _database, Options.Create(options), new FleetHealth(TimeProvider.System), TimeProvider.System,
            NullLogger<InfluxWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (writer.WrittenUpTo < records && DateTime.UtcNow < deadline) await Task.Delay(50);
        // The policies are in place once a write went through; wait for the continuous query too when nothing is written.
        while (records == 0 && DateTime.UtcNow < deadline && (await Query("SHOW CONTINUOUS QUERIES")).ToJsonString().Contains(InfluxRetention.HourlyQuery) is false)
            await Task.Delay(50);
        await writer.StopAsync(CancellationToken.None);
        Assert.Equal(records, writer.WrittenUpTo);
    }

    private async Task<JsonNode> Query(string q)
    {
        using var http = new HttpClient { BaseAddress = _influx.Url };
        var answer = await http.PostAsync("/query?db=iot", new FormUrlEncodedContent(new Dictionary<string, string> { ["q"] = q }));
        return JsonNode.Parse(await answer.Content.ReadAsStringAsync())!;
    }

    private async Task<Dictionary<string, (string Duration, bool Default)>> Policies() =>
        (await Query("SHOW RETENTION POLICIES ON \"iot\""))["results"]![0]!["series"]![0]!["values"]!.AsArray()
        .ToDictionary(v => (string)v![0]!, v => ((string)v![1]!, (bool)v[4]!));

    [Fact]
    public async Task Minutes_stay_two_years_hourly_means_ten_and_the_hourly_points_answer_the_minutes_query()
    {
        // Two hours of one device's minutes.
        var start = 1794000000L / 3600 * 3600;
        var now = DateTimeOffset.FromUnixTimeSeconds(start + 7200);
        var payload = "{}"u8.ToArray();
        var batch = Enumerable.Range(0, 120).Select(i => new AcceptedTelemetry("iot/v1/NS-0001/telemetry", payload,
            new TelemetryEnvelope("NS-0001", "1.0.0", 1, [new TelemetryRecord("NS-0001", (uint)i + 1, start + i * 60, 60, 0,
                new Dictionary<string, double> { ["laeq"] = i < 60 ? 50 : 70 }) { ReceivedAt = now }]), "S-1")).ToList();
        _journal.Store(batch, [], [], [], now);

        await RunWriter(new InfluxOptions { Url = _influx.Url.ToString() }, 120);

        var policies = await Policies();
        Assert.Equal(("17472h0m0s", true), policies[InfluxRetention.MinutePolicy]);
        Assert.Equal(("87360h0m0s", false), policies[InfluxRetention.HourlyPolicy]);
        var cq = (string)(await Query("SHOW CONTINUOUS QUERIES"))["results"]![0]!["series"]!.AsArray()
            .Single(s => (string)s!["name"]! == "iot")!["values"]![0]![1]!;
        Assert.Contains("RESAMPLE EVERY 6h FOR 4d", cq);

        // What the continuous query does when it runs, done now over the two hours.
        var select = cq[(cq.IndexOf("BEGIN ", StringComparison.Ordinal) + 6)..cq.LastIndexOf(" END", StringComparison.Ordinal)]
            .Replace(" GROUP BY", $" WHERE time >= {start}s AND time < {start + 7200}s GROUP BY", StringComparison.Ordinal);
        Assert.Null((await Query(select))["results"]![0]!["error"]);
        var hourly = (await Query("SELECT \"laeq\", \"records\" FROM \"hourly\".\"reading\" WHERE \"dev\" = 'NS-0001'"))["results"]![0]!["series"]![0]!["values"]!.AsArray();
        Assert.Equal([(50.0, 60L), (70.0, 60L)], hourly.Select(v => ((double)v![1]!, (long)v[2]!)));

        // A changed setting is applied at the next start; the same settings again change nothing.
        await RunWriter(new InfluxOptions { Url = _influx.Url.ToString(), MinuteRetention = "INF", HourlyRetention = "30d" }, 120);
        await RunWriter(new InfluxOptions { Url = _influx.Url.ToString(), MinuteRetention = "INF", HourlyRetention = "30d" }, 120);
        policies = await Policies();
        Assert.Equal(("0s", true), policies[InfluxRetention.MinutePolicy]);
        Assert.Equal(("720h0m0s", false), policies[InfluxRetention.HourlyPolicy]);
        Assert.Single((await Query("SHOW CONTINUOUS QUERIES"))["results"]![0]!["series"]!.AsArray().Single(s => (string)s!["name"]! == "iot")!["values"]!.AsArray());
    }

    [Fact]
    public void Retention_durations_are_checked()
    {
        Assert.Matches(InfluxRetention.Duration(), new InfluxOptions().MinuteRetention);
        Assert.Matches(InfluxRetention.Duration(), new InfluxOptions().HourlyRetention);
        Assert.Matches(InfluxRetention.Duration(), "INF");
        Assert.DoesNotMatch(InfluxRetention.Duration(), "2y");
        Assert.DoesNotMatch(InfluxRetention.Duration(), "104w; DROP DATABASE iot");
    }
}
