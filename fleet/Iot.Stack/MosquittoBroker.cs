using System.Text;

namespace Iot.Stack;

/// <summary>How the project runs Mosquitto. The queue limits are set on purpose: with Mosquitto's
/// defaults (1000 queued, 20 in flight) a QoS 1 subscriber that falls behind a burst loses messages.</summary>
public sealed class MosquittoOptions
{
    /// <summary>Plain-TCP port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>Folder for config, persistence and log; a temp folder when null.</summary>
    public string? StateDirectory { get; set; }

    /// <summary>Keep sessions and queued messages on disk across broker restarts.</summary>
    public bool Persistence { get; set; }

    /// <summary>Messages queued per client beyond those in flight (Mosquitto: max_queued_messages).</summary>
    public int MaxQueuedMessages { get; set; } = 1_000_000;

    /// <summary>QoS 1 messages in flight per client (Mosquitto: max_inflight_messages).</summary>
    public int MaxInflightMessages { get; set; } = 10_000;

    /// <summary>Largest packet the broker accepts, in bytes; 0 leaves Mosquitto's default.</summary>
    public int MaxPacketSize { get; set; }

    /// <summary>Extra lines appended to the generated mosquitto.conf.</summary>
    public List<string> ExtraConfig { get; } = [];
}

/// <summary>A private Mosquitto broker on loopback, started and stopped by this process.</summary>
public sealed class MosquittoBroker : IDisposable
{
    private readonly ServerProcess _process;
    private readonly string? _ownedTemp;

    private MosquittoBroker(ServerProcess process, int port, string stateDirectory, string? ownedTemp)
    {
        _process = process;
        Port = port;
        StateDirectory = stateDirectory;
        _ownedTemp = ownedTemp;
    }

    /// <summary>Always 127.0.0.1: the plain listener is never exposed beyond loopback.</summary>
    public string Host => "127.0.0.1";

    /// <summary>The plain-TCP listener's port.</summary>
    public int Port { get; }

    /// <summary>Folder holding mosquitto.conf, persistence and the log.</summary>
    public string StateDirectory { get; }

    /// <summary>Output of the broker process, for test failure messages.</summary>
    public string RecentOutput => _process.RecentOutput;

    /// <summary>Starts Mosquitto and waits until it accepts connections.</summary>
    public static MosquittoBroker Start(MosquittoOptions? options = null)
    {
        options ??= new MosquittoOptions();
        Exception? last = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var ownedTemp = options.StateDirectory is null ? Directory.CreateTempSubdirectory("iot-mosquitto-").FullName : null;
            var dir = options.StateDirectory ?? ownedTemp!;
            Directory.CreateDirectory(dir);
            var port = options.Port != 0 ? options.Port : LocalPort.Free();
            var conf = Path.Combine(dir, "mosquitto.conf");
            File.WriteAllText(conf, Config(options, port, dir));
            var process = ServerProcess.Start("mosquitto", "mosquitto", ["-c", conf], dir);
            var broker = new MosquittoBroker(process, port, dir, ownedTemp);
            if (Ready.WaitUntil(() => LocalPort.Accepts(port), () => process.IsRunning, TimeSpan.FromSeconds(15)))
                return broker;
            last = new InvalidOperationException($"mosquitto did not start on port {port}:\n{process.RecentOutput}");
            broker.Dispose();
            if (options.Port != 0) break;
        }
        throw last!;
    }

    /// <summary>Asks Mosquitto to reload its configuration, password file and ACLs (SIGHUP).</summary>
    public void Reload() => _process.Signal("HUP");

    /// <summary>Kills the broker without a clean shutdown.</summary>
    public void Kill() => _process.Kill();

    public void Dispose()
    {
        _process.Dispose();
        if (_ownedTemp is not null)
        {
            try { Directory.Delete(_ownedTemp, recursive: true); } catch (IOException) { }
        }
    }

    private static string Config(MosquittoOptions options, int port, string dir)
    {
        var conf = new StringBuilder();
        conf.AppendLine("# Written by Iot.Stack; changes are overwritten on the next start.");
        conf.AppendLine("per_listener_settings false");
        conf.AppendLine($"listener {port} 127.0.0.1");
        conf.AppendLine("allow_anonymous true");
        conf.AppendLine($"max_queued_messages {options.MaxQueuedMessages}");
        conf.AppendLine($"max_inflight_messages {options.MaxInflightMessages}");
        conf.AppendLine("max_queued_bytes 0");
        if (options.MaxPacketSize > 0) conf.AppendLine($"max_packet_size {options.MaxPacketSize}");
        conf.AppendLine($"persistence {(options.Persistence ? "true" : "false")}");
        if (options.Persistence)
        {
            conf.AppendLine($"persistence_location {dir}/");
            conf.AppendLine("autosave_interval 10");
        }
        conf.AppendLine("log_dest stderr");
        conf.AppendLine("log_type error");
        conf.AppendLine("log_type warning");
        conf.AppendLine("log_type notice");
        conf.AppendLine("connection_messages false");
        foreach (var line in options.ExtraConfig) conf.AppendLine(line);
        return conf.ToString();
    }
}
