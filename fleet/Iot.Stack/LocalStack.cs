using System.Net.Http.Json;
using System.Runtime.InteropServices;

namespace Iot.Stack;

/// <summary>The whole product on one machine: broker, database and (as they land) the fleet and
/// virtual gateways, with state under .iot/ so a second run finds its data again.</summary>
public sealed class LocalStack(string stateDirectory)
{
    /// <summary>Starts everything, prints the addresses and blocks until Ctrl-C or SIGTERM. With <paramref name="postgres"/>
    /// the fleet's database is a private PostgreSQL (state in .iot/postgres, database `fleet`) instead of SQLite.</summary>
    public int Run(bool demo, bool postgres = false)
    {
        var endpointsPath = Path.Combine(stateDirectory, "endpoints.json");
        using var stop = new ManualResetEventSlim();
        // Handle SIGINT and SIGTERM ourselves so the servers are stopped before we exit.
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });

        Console.WriteLine("Starting Mosquitto ...");
        var ca = ProjectCa.LoadOrCreate(Path.Combine(stateDirectory, "tls"));
        var tls = MosquittoTlsOptions.From(ca);
        tls.Port = LocalPort.PreferredOrFree(8883);
        // Every client needs an account the fleet made, so real gateways may reach the TLS listener from the network.
        tls.BindAddress = "0.0.0.0";
        var brokerState = Path.Combine(stateDirectory, "mosquitto");
        var passwords = Path.Combine(brokerState, "passwords");
        var acl = Path.Combine(brokerState, "acl");
        // The fleet owns these files (Broker:Enabled) and rewrites them at start; Mosquitto needs them to exist first.
        Directory.CreateDirectory(brokerState);
        foreach (var file in new[] { passwords, acl })
            if (!File.Exists(file)) File.WriteAllText(file, "");
        using var broker = MosquittoBroker.Start(new MosquittoOptions
        {
            Port = LocalPort.PreferredOrFree(1883),
            StateDirectory = brokerState,
            Persistence = true,
            Tls = tls,
            PasswordFile = passwords,
            AclFile = acl,
        });
        Console.WriteLine("Starting InfluxDB ...");
        using var influx = InfluxServer.Start(new InfluxOptions
        {
            Port = LocalPort.PreferredOrFree(8086),
            StateDirectory = Path.Combine(stateDirectory, "influxdb"),
        });

        using var database = postgres ? StartPostgres() : null;

        // The demo's environmental platform: the forwarder reports two demo sites to it (see DemoPlatformSites).
        using var platform = demo ? new SimulatedPlatform() : null;

        Console.WriteLine("Starting the fleet ...");
        var tokenPath = Path.Combine(stateDirectory, "admin_token");
        var adminToken = PrivateFile.ReadOrCreate(tokenPath, () => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)));
        // The pages need a person to sign in as; the fleet creates `admin` with this password on its first start.
        var passwordPath = Path.Combine(stateDirectory, "admin_password");
        var adminPassword = PrivateFile.ReadOrCreate(passwordPath, () => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)));
        var fleetOptions = new FleetOptions
        {
            Port = LocalPort.PreferredOrFree(8080),
            // HJ 212 has no standard port; 8005 is one platforms use.
            Hj212Port = LocalPort.PreferredOrFree(8005),
            MqttHost = broker.Host,
            MqttPort = broker.Port,
            InfluxUrl = influx.Url,
            StateDirectory = Path.Combine(stateDirectory, "fleet"),
            AdminToken = adminToken,
            DatabaseConnectionString = database?.CreateDatabase("fleet"),
            Environment =
            {
                ["Fleet__InitialAdminPassword"] = adminPassword,
                ["Broker__Enabled"] = "true",
                ["Broker__PasswordFile"] = passwords,
                ["Broker__AclFile"] = acl,
                ["Broker__PidFile"] = broker.PidFile,
            },
        };
        if (platform is not null) ReportToDemoPlatform(fleetOptions.Environment, platform);
        using var fleet = FleetServer.Start(fleetOptions);

        // Declared after the servers, so it stops watching before they are stopped on purpose.
        using var supervisor = new Supervisor(database is null ? [broker, influx, fleet] : [broker, influx, database, fleet]);

        var endpoints = new Endpoints
        {
            MqttPort = broker.Port,
            MqttTlsPort = broker.TlsPort,
            MqttCa = ca.CaCertificatePath,
            InfluxUrl = influx.Url.ToString().TrimEnd('/'),
            FleetUrl = fleet.Url.ToString().TrimEnd('/'),
            Hj212Port = fleet.Options.Hj212Port,
            AdminToken = fleet.Options.AdminToken,
            AdminPassword = adminPassword,
            PostgresUrl = database is null ? null : $"postgres://{PostgresServer.User}@{database.Host}:{database.Port}/fleet",
        };
        endpoints.Write(endpointsPath);

        Console.WriteLine();
        Console.WriteLine($"  MQTT broker  mqtt://{broker.Host}:{broker.Port}, mqtts://{broker.Host}:{broker.TlsPort} (CA {ca.CaCertificatePath})");
        Console.WriteLine($"  InfluxDB     {endpoints.InfluxUrl}");
        if (database is not null)
            Console.WriteLine($"  PostgreSQL   {endpoints.PostgresUrl}   (database fleet, user {PostgresServer.User}, password in {Path.Combine(database.StateDirectory, "password")})");
        Console.WriteLine($"  HJ 212       tcp://127.0.0.1:{endpoints.Hj212Port}   (monitors: POST /api/devices with protocol hj212, mn, password)");
        Console.WriteLine($"  Fleet        {endpoints.FleetUrl}   (API: /openapi/v1.json, leads: /api/leads, health: /healthz)");
        // Secrets stay in their files (mode 0600): a console is often copied into a log.
        Console.WriteLine($"  Admin token  in {tokenPath}");
        Console.WriteLine($"  Sign in      {endpoints.FleetUrl}/  as admin, password in {passwordPath}   (installers: {endpoints.FleetUrl}/install/)");
        Console.WriteLine($"  Endpoints    {endpointsPath}");
        Console.WriteLine($"  Watching     Mosquitto, InfluxDB, {(database is null ? "" : "PostgreSQL, ")}and the fleet: one that dies is restarted, with a line here (!!)");
        Console.WriteLine();
        using var gateways = demo ? StartDemo(broker, fleet) : null;
        using var monitorStop = new CancellationTokenSource();
        var monitor = demo && endpoints.Hj212Port is { } hj212Port ? RunHj212Monitor(fleet, hj212Port, monitorStop.Token) : Task.CompletedTask;
        var reporting = platform is not null ? WatchDemoPlatform(platform, endpoints.FleetUrl!, monitorStop.Token) : Task.CompletedTask;
        if (!demo) Console.WriteLine("--no-demo: no virtual gateways; the fleet waits for real ones.");
        using var watching = new CancellationTokenSource();
        var leads = PrintLeads(fleet, watching.Token);
        Console.WriteLine("Press Ctrl-C to stop.");

        stop.Wait();
        watching.Cancel();
        Console.WriteLine("Stopping ...");
        monitorStop.Cancel();
        Task.WaitAll([monitor, reporting], TimeSpan.FromSeconds(5));
        gateways?.Stop(TimeSpan.FromSeconds(10));
        File.Delete(endpointsPath);
        return 0;
    }

    private PostgresServer StartPostgres()
    {
        Console.WriteLine("Starting PostgreSQL ...");
        return PostgresServer.Start(new PostgresOptions { Port = LocalPort.PreferredOrFree(5432), StateDirectory = Path.Combine(stateDirectory, "postgres") });
    }

    /// <summary>The demo scenario's virtual gateways (a few restaurants and construction sites, some
    /// breaching within minutes), registered with the fleet first.</summary>
    private ServerProcess StartDemo(MosquittoBroker broker, FleetServer fleet)
    {
        var scenario = Path.Combine(RepositoryPaths.Root(), "firmware/Gateway.Virtual/Scenarios/demo.yaml");
        var process = ServerProcess.Start("gateways", "dotnet",
        [
            RepositoryPaths.Built("firmware/Gateway.Virtual", "Iot.Gateway.Virtual.dll"), "--scenario", scenario,
            "--mqtt-host", broker.Host, "--mqtt-port", broker.Port.ToString(), "--speed", "1",
            "--state", Path.Combine(stateDirectory, "gateways"), "--register", fleet.Url.ToString(), "--token", fleet.Options.AdminToken, "--commission",
        ], stateDirectory);
        Console.WriteLine($"Demo gateways: {scenario}");
        Console.WriteLine("  their last hour replays in about half a minute, then they run live; leads appear below within minutes.");
        return process;
    }

    /// <summary>
    /// The demo's third-party monitor: a construction site whose dust and noise monitor reports over HJ 212 (not MQTT),
    /// registered with its MN and password, its last hour replayed and then one 2051 minute frame a minute. PM10 runs
    /// high for the last hour, so its lead appears within minutes, with the frames as evidence.
    /// </summary>
    private static async Task RunHj212Monitor(FleetServer fleet, int port, CancellationToken stop)
    {
        const string Site = "S-HJ-0001", Device = "HJ-0001", Mn = "0A1B2C3D4E5F000000009001", Password = "123456";
        try
        {
            using var http = fleet.Http();
            await http.PostAsJsonAsync("/api/sites", new { id = Site, name = "Construction site HJ-0001 (HJ 212 monitor)", kinds = new[] { "dust", "noise" },
                timezone = "Asia/Shanghai", grid = "G-01", profile = "default" }, stop);
            var registered = await http.PostAsJsonAsync("/api/devices", new { id = Device, site = Site, protocol = "hj212", mn = Mn, password = Password, profile = "default" }, stop);
            var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60 * 60).AddMinutes(-65);
            if (registered.StatusCode == System.Net.HttpStatusCode.Created)
            {
                // Reviewed before the replayed hour, like the demo gateways' sites.
                await http.PostAsJsonAsync($"/api/sites/{Site}/commissioning",
                    new { passed = true, note = "demo HJ 212 monitor: recorded as reviewed when registered", validFrom = start.AddHours(-1) }, stop);
                var meter = await http.PostAsJsonAsync($"/api/devices/{Device}/meters",
                    new { kind = "dust", make = "Demo", model = "HJ-DS", serial = "SN-HJ-0001", typeApproval = "demo", installedFrom = start.AddHours(-1) }, stop);
                if (meter.IsSuccessStatusCode)
                {
                    var id = (await meter.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(stop)).GetProperty("id").GetInt64();
                    var day = DateOnly.FromDateTime(start.UtcDateTime);
                    await http.PostAsJsonAsync($"/api/meters/{id}/calibrations", new { certificate = "DEMO-HJ-0001", institution = "demo metrology institute",
                        method = "comparison", calibratedOn = day.AddDays(-1), validUntil = day.AddYears(1) }, stop);
                }
            }
            await using var monitor = await SimulatedMonitor.Connect(port, Mn, Password);
            Console.WriteLine($"Demo HJ 212 monitor: {Device} (MN {Mn}) at {Site}, one 2051 frame a minute to tcp://127.0.0.1:{port}");
            static string F(double v, string format) => v.ToString(format, System.Globalization.CultureInfo.InvariantCulture);
            static (string, (string, string)[])[] Minute(double pm10, double wobble) =>
            [
                ("a34002", [("Avg", F(pm10 + wobble, "0.000")), ("Flag", "N")]),
                ("a34004", [("Avg", F(0.060 + wobble, "0.000")), ("Flag", "N")]),
                ("a50001", [("Avg", F(58 + 100 * wobble, "0.0")), ("Flag", "N")]),
            ];
            var next = start;
            while (!stop.IsCancellationRequested)
            {
                var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60 * 60);
                for (; next < now && !stop.IsCancellationRequested; next = next.AddMinutes(1))
                {
                    // A real monitor's readings move; a constant one would (rightly) raise a flatline alert.
                    double wobble = (next.ToUnixTimeSeconds() / 60 % 7) * 0.004;
                    await monitor.SendMinute(next, Minute(next >= start.AddMinutes(5) ? 0.200 : 0.080, wobble));
                }
                await Task.Delay(TimeSpan.FromSeconds(10), stop);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            Console.WriteLine($"!! demo HJ 212 monitor stopped: {e.Message}");
        }
    }

    /// <summary>The demo sites the forwarder reports to the simulated platform, with the MNs "the platform assigned": the
    /// HJ 212 monitor's site and a construction site of the demo gateways (its dust gateway's minutes go out as 2051 frames).</summary>
    private static readonly (string Site, string Mn)[] DemoPlatformSites = [("S-HJ-0001", "0A1B2C3D4E5F00000000A001"), ("S-DS-0002", "0A1B2C3D4E5F00000000A002")];

    private static void ReportToDemoPlatform(Dictionary<string, string> environment, SimulatedPlatform platform)
    {
        environment["Hj212__Platforms__demo__Host"] = platform.Host;
        environment["Hj212__Platforms__demo__Port"] = platform.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["Hj212__Platforms__demo__St"] = "39";
        environment["Hj212__Platforms__demo__Version"] = "2017";
        for (int i = 0; i < DemoPlatformSites.Length; i++)
        {
            // Site ids hold '-', which an environment name cannot: any key, and the id as Site.
            environment[$"Hj212__Sites__{i}__Site"] = DemoPlatformSites[i].Site;
            environment[$"Hj212__Sites__{i}__Platform"] = "demo";
            environment[$"Hj212__Sites__{i}__Mn"] = DemoPlatformSites[i].Mn;
        }
    }

    /// <summary>Says where the demo platform is, and once it has its first minutes, that the forwarder works and where its queue is shown.</summary>
    private static async Task WatchDemoPlatform(SimulatedPlatform platform, string fleetUrl, CancellationToken stop)
    {
        Console.WriteLine($"Demo platform: tcp://{platform.Host}:{platform.Port} (simulated HJ 212 platform); the forwarder reports " +
            $"{string.Join(" and ", DemoPlatformSites.Select(s => s.Site))} to it. Queue depth: {fleetUrl}/engineer/ingest");
        try
        {
            while (platform.Kept.Count == 0) await Task.Delay(TimeSpan.FromSeconds(2), stop);
            var first = platform.Kept.Values.First();
            Console.WriteLine($"  hj212 the demo platform acknowledged its first 2051 frame (MN {first.Mn}, DataTime {first.Cp.DataTime}); more follow each minute");
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Prints each new lead and alert from the fleet's event stream, so the terminal shows the product working.</summary>
    private static async Task PrintLeads(FleetServer fleet, CancellationToken stop)
    {
        using var http = new HttpClient { BaseAddress = fleet.Url, Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new("Bearer", fleet.Options.AdminToken);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var body = await http.GetStreamAsync("/api/leads/stream", stop);
                using var reader = new StreamReader(body);
                string? kind = null;
                while (await reader.ReadLineAsync(stop) is { } line)
                {
                    if (line.StartsWith("event: ", StringComparison.Ordinal)) kind = line[7..];
                    else if (line.StartsWith("data: ", StringComparison.Ordinal)) Console.WriteLine($"  {kind,-5} {Describe(line[6..])}");
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                await Task.Delay(1000, stop).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static string Describe(string json)
    {
        var lead = System.Text.Json.Nodes.JsonNode.Parse(json)!;
        return $"#{lead["id"]} {lead["rule"]} at {lead["site"]} from {lead["start"]}: {(double)lead["value"]!:0.##} {lead["unit"]} (limit {lead["limit"]}){((bool)lead["late"]! ? ", late" : "")}";
    }
}
