using System.Net.Http;
using System.Text;

namespace Iot.Stack;

/// <summary>How the project runs InfluxDB 1.x (Debian's influxd).</summary>
public sealed class InfluxOptions
{
    /// <summary>HTTP port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>Folder for config, meta, data and WAL; a temp folder when null.</summary>
    public string? StateDirectory { get; set; }
}

/// <summary>A private InfluxDB on loopback, started and stopped by this process.</summary>
public sealed class InfluxServer : ISupervisedServer, IDisposable
{
    private ServerProcess _process;
    private readonly string? _ownedTemp;

    private InfluxServer(ServerProcess process, int port, string stateDirectory, string? ownedTemp)
    {
        _process = process;
        Port = port;
        StateDirectory = stateDirectory;
        _ownedTemp = ownedTemp;
    }

    /// <summary>HTTP port of the v1 API (/ping, /write, /query).</summary>
    public int Port { get; }

    /// <summary>Base address of the HTTP API.</summary>
    public Uri Url => new($"http://127.0.0.1:{Port}");

    /// <summary>Folder holding influxdb.conf and the database files.</summary>
    public string StateDirectory { get; }

    /// <summary>Output of the server process, for test failure messages.</summary>
    public string RecentOutput => _process.RecentOutput;

    public string Name => "influxd";

    /// <summary>True while the influxd process runs.</summary>
    public bool IsRunning => _process.IsRunning;

    public int? ExitCode => _process.ExitCode;

    /// <summary>influxd's process id (benchmarks read its CPU from /proc).</summary>
    public int ProcessId => _process.ServerId ?? throw new InvalidOperationException("influxd is not running");

    /// <summary>Starts influxd and waits until /ping answers.</summary>
    public static InfluxServer Start(InfluxOptions? options = null)
    {
        options ??= new InfluxOptions();
        Exception? last = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var ownedTemp = options.StateDirectory is null ? Directory.CreateTempSubdirectory("iot-influx-").FullName : null;
            var dir = options.StateDirectory ?? ownedTemp!;
            Directory.CreateDirectory(dir);
            var port = options.Port != 0 ? options.Port : LocalPort.Free();
            var rpcPort = LocalPort.Free();
            var conf = Path.Combine(dir, "influxdb.conf");
            File.WriteAllText(conf, Config(dir, port, rpcPort));
            var process = ServerProcess.Start("influxd", "influxd", ["run", "-config", conf], dir);
            var server = new InfluxServer(process, port, dir, ownedTemp);
            if (Ready.WaitUntil(server.Pings, () => process.IsRunning, TimeSpan.FromSeconds(30)))
                return server;
            last = new InvalidOperationException($"influxd did not start on port {port}:\n{process.RecentOutput}");
            server.Dispose();
            if (options.Port != 0) break;
        }
        throw last!;
    }

    /// <summary>Kills influxd without a clean shutdown.</summary>
    public void Kill() => _process.Kill();

    /// <summary>The number a COUNT query answers (InfluxQL, e.g. `SELECT COUNT(q) FROM reading WHERE dev = 'X'`), 0 when
    /// nothing matches: how tests and benchmarks check what reached InfluxDB.</summary>
    public async Task<long> CountAsync(string query, string database = "iot")
    {
        using var http = new HttpClient { BaseAddress = Url };
        var body = await http.GetStringAsync($"/query?db={Uri.EscapeDataString(database)}&q={Uri.EscapeDataString(query)}");
        return System.Text.Json.Nodes.JsonNode.Parse(body)?["results"]?[0]?["series"]?[0]?["values"]?[0]?[1]?.GetValue<long>() ?? 0;
    }

    /// <summary>Stops influxd cleanly.</summary>
    public void Stop() => _process.Stop(TimeSpan.FromSeconds(10));

    /// <summary>Starts influxd again on the same port and data, after <see cref="Stop"/> or <see cref="Kill"/>.</summary>
    public void Restart()
    {
        _process.Stop(TimeSpan.FromSeconds(10));
        _process.Dispose();
        _process = ServerProcess.Start("influxd", "influxd", ["run", "-config", Path.Combine(StateDirectory, "influxdb.conf")], StateDirectory);
        if (!Ready.WaitUntil(Pings, () => _process.IsRunning, TimeSpan.FromSeconds(30)))
            throw new InvalidOperationException($"influxd did not restart on port {Port}:\n{_process.RecentOutput}");
    }

    public void Dispose()
    {
        _process.Dispose();
        if (_ownedTemp is not null)
        {
            try { Directory.Delete(_ownedTemp, recursive: true); } catch (IOException) { }
        }
    }

    private bool Pings()
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            return http.GetAsync(new Uri(Url, "/ping")).GetAwaiter().GetResult().IsSuccessStatusCode;
        }
        catch (HttpRequestException) { return false; }
        catch (TaskCanceledException) { return false; }
    }

    /// <summary>influxdb.conf: state under <paramref name="dir"/>, HTTP and RPC on loopback.</summary>
    internal static string Config(string dir, int port, int rpcPort)
    {
        var conf = new StringBuilder();
        conf.AppendLine("# Written by Iot.Stack; changes are overwritten on the next start.");
        conf.AppendLine("reporting-enabled = false");
        conf.AppendLine($"bind-address = \"127.0.0.1:{rpcPort}\"");
        conf.AppendLine("[meta]");
        conf.AppendLine($"  dir = \"{dir}/meta\"");
        conf.AppendLine("  logging-enabled = false");
        conf.AppendLine("[data]");
        conf.AppendLine($"  dir = \"{dir}/data\"");
        conf.AppendLine($"  wal-dir = \"{dir}/wal\"");
        conf.AppendLine("  query-log-enabled = false");
        conf.AppendLine("[monitor]");
        conf.AppendLine("  store-enabled = false");
        conf.AppendLine("[http]");
        conf.AppendLine($"  bind-address = \"127.0.0.1:{port}\"");
        conf.AppendLine("  log-enabled = false");
        conf.AppendLine("  pprof-enabled = false");
        conf.AppendLine("[logging]");
        conf.AppendLine("  level = \"warn\"");
        conf.AppendLine("  suppress-logo = true");
        return conf.ToString();
    }
}
