using System.Net.Http;

namespace Iot.Stack;

/// <summary>How to run the fleet service.</summary>
public sealed class FleetOptions
{
    /// <summary>HTTP port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; }
    public required string MqttHost { get; init; }
    public required int MqttPort { get; init; }
    public required Uri InfluxUrl { get; init; }

    /// <summary>Folder for the fleet database (SQLite) or its data folder (PostgreSQL); a temp folder when null.</summary>
    public string? StateDirectory { get; set; }

    /// <summary>A PostgreSQL connection string (e.g. <see cref="PostgresServer.CreateDatabase"/>); null: SQLite in <see cref="StateDirectory"/>.</summary>
    public string? DatabaseConnectionString { get; set; }
    public string AdminToken { get; set; } = Guid.NewGuid().ToString("N");
    public string ClientId { get; set; } = "fleet-1";

    /// <summary>Loopback TCP port of the HJ 212 receiver (plain TCP); 0 = no receiver.</summary>
    public int Hj212Port { get; set; }

    /// <summary>Extra configuration, as environment variables (e.g. "Mqtt__SharedGroup").</summary>
    public Dictionary<string, string> Environment { get; } = [];
}

/// <summary>The fleet service as a real process (built output of fleet/Iot.Fleet), so tests can kill it like a crash would.</summary>
public sealed class FleetServer : ISupervisedServer, IDisposable
{
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly string? _ownedTemp;
    private ServerProcess _process;

    private FleetServer(int port, FleetOptions options, IReadOnlyDictionary<string, string> environment, string stateDirectory, string? ownedTemp)
    {
        Port = port;
        Options = options;
        _environment = environment;
        StateDirectory = stateDirectory;
        _ownedTemp = ownedTemp;
        _process = Launch();
    }

    public string Name => "fleet";
    public int Port { get; }
    public FleetOptions Options { get; }
    public string StateDirectory { get; }
    public Uri Url => new($"http://127.0.0.1:{Port}");
    public string RecentOutput => _process.RecentOutput;
    public bool IsRunning => _process.IsRunning;

    /// <summary>The fleet's process id (benchmarks read its CPU and memory from /proc).</summary>
    public int ProcessId => _process.ServerId ?? throw new InvalidOperationException("the fleet is not running");
    public int? ExitCode => _process.ExitCode;

    /// <summary>An HTTP client for the API, with the admin token.</summary>
    public HttpClient Http()
    {
        var http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", Options.AdminToken);
        return http;
    }

    /// <summary>Starts the fleet and waits until it is subscribed to the broker.</summary>
    public static FleetServer Start(FleetOptions options)
    {
        var ownedTemp = options.StateDirectory is null ? Directory.CreateTempSubdirectory("iot-fleet-").FullName : null;
        var dir = options.StateDirectory ?? ownedTemp!;
        Directory.CreateDirectory(dir);
        var port = options.Port != 0 ? options.Port : LocalPort.Free();
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Database__ConnectionString"] = options.DatabaseConnectionString ?? $"Data Source={Path.Combine(dir, "fleet.db")}",
            ["Database__DataDirectory"] = dir,
            ["Influx__Url"] = options.InfluxUrl.ToString(),
            ["Mqtt__Host"] = options.MqttHost,
            ["Mqtt__Port"] = options.MqttPort.ToString(),
            ["Mqtt__ClientId"] = options.ClientId,
            ["Hj212__Port"] = options.Hj212Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Its hash only: the fleet needs no more to check it, and a process's environment is easy to read.
            ["Fleet__AdminTokenSha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(options.AdminToken))),
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Iot"] = "Information",
            // The ingest allocates per message at tens of thousands of messages a second; with the default
            // gen0 budget the GC runs constantly and re-faults fresh pages (./iot bench ingest: about
            // 15,000 records/s by default, about 20,000 with 64 MB). The runtime reads this knob only
            // from the environment; fleet/Iot.Fleet/README.md tells deployments to set it too.
            ["DOTNET_GCgen0size"] = "0x4000000",
        };
        foreach (var (k, v) in options.Environment) environment[k] = v;
        var server = new FleetServer(port, options, environment, dir, ownedTemp);
        if (!server.WaitUntilReady())
        {
            var output = server.RecentOutput;
            server.Dispose();
            throw new InvalidOperationException($"the fleet did not become ready on port {port}:\n{output}");
        }
        return server;
    }

    /// <summary>Kills the fleet at once (SIGKILL), as a crash or power cut would.</summary>
    public void Kill() => _process.Kill();

    /// <summary>Starts the fleet again with the same port, configuration and database, after it died or was killed.</summary>
    public void Restart()
    {
        _process.Dispose();
        _process = Launch();
        if (!WaitUntilReady())
            throw new InvalidOperationException($"the fleet did not become ready again on port {Port}:\n{_process.RecentOutput}");
    }

    private ServerProcess Launch() => ServerProcess.Start("fleet", "dotnet", [RepositoryPaths.FleetAssembly()], StateDirectory, _environment);

    private bool WaitUntilReady()
    {
        var process = _process;
        return Ready.WaitUntil(IsReady, () => process.IsRunning, TimeSpan.FromSeconds(60));
    }

    public void Dispose()
    {
        _process.Dispose();
        if (_ownedTemp is not null)
        {
            try { Directory.Delete(_ownedTemp, recursive: true); } catch (IOException) { }
        }
    }

    private bool IsReady()
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var body = http.GetStringAsync(new Uri(Url, "/healthz")).GetAwaiter().GetResult();
            return body.Contains("\"ready\":true", StringComparison.Ordinal);
        }
        catch (HttpRequestException) { return false; }
        catch (TaskCanceledException) { return false; }
    }
}
