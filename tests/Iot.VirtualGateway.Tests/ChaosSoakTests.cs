using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Iot.Gateway.Virtual.Simulation;
using Iot.Stack;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;
using FleetProcessOptions = Iot.Stack.FleetOptions;
using GatewayOptions = Iot.Gateway.Virtual.Simulation.FleetOptions;
using Iot.Testing;

namespace Iot.VirtualGateway.Tests;

/// <summary>
/// The chaos soak: virtual gateways stream to the real broker, fleet and InfluxDB while the harness kills the fleet with
/// SIGKILL, kills and restarts the broker, stops InfluxDB, and fills the fleet's disk (a tmpfs of its own, when this
/// machine lets the test mount one). Afterwards the records stored equal the records the gateways journaled, exactly,
/// in SQLite and InfluxDB, and no lead is doubled. The suite runs a short form; `./iot soak` a long one
/// (IOT_SOAK_MINUTES of real time, InfluxDB away for minutes).
/// </summary>
[Collection(Name)]
public sealed class ChaosSoakTests(ITestOutputHelper output) : IDisposable
{
    public const string Name = "chaos soak";

    private readonly string _root = Directory.CreateTempSubdirectory("iot-soak-").FullName;
    private const double Speed = 60; // one simulated minute a second

    private static double Minutes => double.TryParse(Environment.GetEnvironmentVariable("IOT_SOAK_MINUTES"), NumberStyles.Float, CultureInfo.InvariantCulture, out var m) && m > 0 ? m : 1.5;

    [Fact]
    public async Task Kills_restarts_an_outage_and_a_full_disk_lose_nothing_and_double_nothing()
    {
        var real = TimeSpan.FromMinutes(Minutes);
        var fleetDir = Path.Combine(_root, "fleet");
        var smallDisk = SmallDisk.TryMount(fleetDir, 256, output.WriteLine);
        using var broker = MosquittoBroker.Start(new MosquittoOptions { Persistence = true, StateDirectory = Path.Combine(_root, "broker") });
        using var influx = InfluxServer.Start();
        var options = new FleetProcessOptions { MqttHost = broker.Host, MqttPort = broker.Port, InfluxUrl = influx.Url, StateDirectory = fleetDir };
        options.Environment["Health__CheckSeconds"] = "1";
        options.Environment["Health__DiskLowBytes"] = (48L << 20).ToString(CultureInfo.InvariantCulture);
        using var fleet = FleetServer.Start(options);

        var scenario = Scenario.Parse(Yaml((int)(real.TotalMinutes * Speed)));
        var state = Path.Combine(_root, "gateways");
        // Registration hands out each gateway's evidence key: the soak runs with authenticated telemetry.
        var logins = await FleetRegistration.RegisterAsync(scenario, fleet.Url, options.AdminToken, state, output.WriteLine, CancellationToken.None,
            commissionedFrom: DateTimeOffset.UtcNow.AddDays(-1));
        await using var runner = new FleetRunner(scenario, new GatewayOptions { Host = broker.Host, Port = broker.Port, Speed = Speed, StateDirectory = state, Logins = logins });
        var clock = Stopwatch.StartNew();
        var run = runner.RunAsync(TimeSpan.FromMinutes(3));

        async Task At(double share, string what, Action chaos)
        {
            var due = real * share - clock.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due);
            output.WriteLine($"{clock.Elapsed.TotalSeconds,6:F1} s  {what}");
            chaos();
        }
        await At(0.15, "SIGKILL the fleet and start it again", () => { fleet.Kill(); fleet.Restart(); });
        await At(0.30, "kill the broker and start it again", () => { broker.Kill(); broker.Restart(); });
        var influxAway = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(15).Ticks, real.Ticks / 5));
        await At(0.40, $"stop InfluxDB for {influxAway.TotalSeconds:F0} s", influx.Stop);
        await Task.Delay(influxAway);
        output.WriteLine($"{clock.Elapsed.TotalSeconds,6:F1} s  start InfluxDB again");
        influx.Restart();
        if (smallDisk is not null)
        {
            await At(0.70, "fill the fleet's disk", smallDisk.Fill);
            var alert = await Eventually(() => Alerts(fleet, "fleet.disk_low"), a => a > 0, "the disk_low alert", TimeSpan.FromSeconds(30));
            await Task.Delay(TimeSpan.FromSeconds(10));
            output.WriteLine($"{clock.Elapsed.TotalSeconds,6:F1} s  free the disk (the fleet stayed up: {fleet.IsRunning}, disk_low alerts: {alert})");
            Assert.True(fleet.IsRunning, "the fleet process ended when its disk was full");
            smallDisk.Free();
        }

        var summary = await run;
        Assert.True(summary.Drained, "the gateways could not deliver their journals");
        var written = summary.RecordsWritten;
        var stored = await Eventually(() => Task.FromResult(JournalCount(fleetDir)), n => n >= written, "every journaled record in the fleet's journal", TimeSpan.FromMinutes(2));
        var inInflux = await Eventually(() => InfluxCount(influx), n => n >= written, "every record in InfluxDB", TimeSpan.FromMinutes(2));
        var leads = await Leads(fleet);
        var distinct = leads.Select(l => ((string)l!["site"]!, (string)l["rule"]!, (string)l["start"]!)).Distinct().Count();
        output.WriteLine($"gateways journaled {written:N0} records; the fleet stored {stored:N0}; InfluxDB holds {inInflux:N0}; {leads.Count} leads, {distinct} distinct; " +
            $"{clock.Elapsed.TotalSeconds:F0} s in all");
        Assert.Equal(written, stored);
        Assert.Equal(written, inInflux);
        Assert.Equal(distinct, leads.Count);
        Assert.NotEmpty(leads);
    }

    /// <summary>Ten restaurants, ten noise and ten dust sites; every third one breaches for a while, twice.</summary>
    private static string Yaml(int minutes)
    {
        var yaml = new StringBuilder($"duration: {minutes}m\ndevices:\n");
        for (var i = 1; i <= 10; i++)
        {
            var breach = i % 3 == 0;
            string Episodes(string normal, string high) => breach
                ? $"[{{from: 0s, value: {normal}}}, {{from: {minutes / 5}m, value: {high}}}, {{from: {minutes / 5 + 30}m, value: {normal}}}, {{from: {minutes * 3 / 5}m, value: {high}}}, {{from: {minutes * 3 / 5 + 30}m, value: {normal}}}]"
                : normal;
            yaml.Append($"  - id: SK-F-{i:D2}\n    site: fume\n    jitter: 0.02\n    levels: {{fume: 0.8, fan_a: 3.0, pur_a: {Episodes("1.5", "0")}}}\n");
            yaml.Append($"  - id: SK-N-{i:D2}\n    site: noise\n    jitter: 0.02\n    levels: {{laeq: {Episodes("52", "78")}}}\n");
            yaml.Append($"  - id: SK-D-{i:D2}\n    site: dust\n    jitter: 0.02\n    levels: {{pm10: {Episodes("70", "260")}, pm25: 40}}\n");
        }
        return yaml.ToString();
    }

    private static long JournalCount(string fleetDir)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(fleetDir, "fleet.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM records WHERE dev LIKE 'SK-%'";
        return (long)command.ExecuteScalar()!;
    }

    private static Task<long> InfluxCount(InfluxServer influx) => influx.CountAsync("SELECT COUNT(q) FROM reading WHERE dev =~ /^SK-/");

    private static async Task<JsonArray> Leads(FleetServer fleet)
    {
        using var http = fleet.Http();
        return await http.GetAllAsync("/api/leads");
    }

    private static async Task<int> Alerts(FleetServer fleet, string rule)
    {
        using var http = fleet.Http();
        return (int)await http.CountAsync($"/api/alerts?rule={rule}");
    }

    private static async Task<T> Eventually<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        T last = default!;
        while (clock.Elapsed < timeout)
        {
            try
            {
                last = await probe();
                if (done(last)) return last;
            }
            catch (Exception e) when (e is HttpRequestException or SqliteException or TaskCanceledException) { }
            await Task.Delay(500);
        }
        return last; // the assertion after it says what was missing
    }

    public void Dispose()
    {
        SmallDisk.Unmount(Path.Combine(_root, "fleet"));
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    /// <summary>A tmpfs of its own for the fleet's data, so the soak can fill it without touching the machine's disk.</summary>
    private sealed class SmallDisk(string path)
    {
        private string Filler => Path.Combine(path, "filler.bin");

        public static SmallDisk? TryMount(string path, int megabytes, Action<string> log)
        {
            Directory.CreateDirectory(path);
            if (!Environment.IsPrivilegedProcess || !Run("mount", $"-t tmpfs -o size={megabytes}m iot-soak {path}"))
            {
                log("the disk-full phase is skipped: mounting a tmpfs needs root");
                return null;
            }
            return new SmallDisk(path);
        }

        /// <summary>Takes all the free space but a few KiB.</summary>
        public void Fill()
        {
            var free = new DriveInfo(path).AvailableFreeSpace;
            using var file = new FileStream(Filler, FileMode.Create, FileAccess.Write);
            var block = new byte[1 << 20];
            try
            {
                for (long written = 0; written < free; written += block.Length) file.Write(block);
                file.Flush();
            }
            catch (IOException) { } // full: as intended
        }

        public void Free() => File.Delete(Filler);

        public static void Unmount(string path)
        {
            if (Environment.IsPrivilegedProcess) Run("umount", path);
        }

        private static bool Run(string command, string arguments)
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
                process.WaitForExit();
                return process.ExitCode == 0;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return false;
            }
        }
    }
}

/// <summary>The soak kills and starts servers and loads both cores: nothing else runs beside it.</summary>
[CollectionDefinition(ChaosSoakTests.Name, DisableParallelization = true)]
public sealed class ChaosSoakCollection;
