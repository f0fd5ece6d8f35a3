using System.Text;

namespace Iot.Stack;

/// <summary>
/// The broker's limits and why (Mosquitto 2.0.11). The queues are sized on purpose: with Mosquitto's defaults
/// (1000 queued, 20 in flight) a QoS 1 subscriber that falls behind a burst loses messages.
/// </summary>
public static class BrokerLimits
{
    /// <summary>Largest MQTT packet, in bytes. The largest legitimate message is a 16 KiB telemetry envelope (wire
    /// protocol); a device configuration fits one 4 KiB flash sector, OTA commands and provisioning messages are
    /// under 1 KiB, and firmware goes over HTTP. Twice the envelope leaves room for topic and header; anything
    /// bigger is refused before it is read.</summary>
    public const int MaxPacketSize = 32 * 1024;

    /// <summary>Gateways one broker's queues are sized for. Mosquitto 2.0.11 reads max_queued_bytes as a C int (at most
    /// 2 GiB; a larger number wraps), and a day of 3,000 gateways is 1.6 GB. A larger fleet subscribes as several
    /// fleet instances in a shared group (Mqtt:SharedGroup): each session queues its share.</summary>
    public const int Gateways = 3_000;

    /// <summary>A gateway's messages a day: a record a minute (1,440), a status every 5 minutes (288), and
    /// a margin for events and acks (72).</summary>
    public const int MessagesPerGatewayPerDay = 1_440 + 288 + 72;

    /// <summary>Upper estimate of a payload: a one-record envelope with every dust channel and a 32-character
    /// id is about 210 bytes, a status about 160; backlog envelopes carry more records in fewer messages.</summary>
    public const int BytesPerMessage = 300;

    /// <summary>Messages queued per client: 24 h of the whole fleet (5,400,000), so the fleet's persistent
    /// session survives a day-long fleet outage without the broker dropping a reading. It applies to every client,
    /// but only the fleet's sessions subscribe to many devices.</summary>
    public const int MaxQueuedMessages = Gateways * MessagesPerGatewayPerDay;

    /// <summary>Payload bytes queued per client: the same day in bytes (1.62 GB); Mosquitto needs roughly twice
    /// that in memory when a queue is full.</summary>
    public const int MaxQueuedBytes = MaxQueuedMessages * BytesPerMessage; // an int, as Mosquitto reads it: the compiler refuses an overflow

    /// <summary>Save the broker's state after this many changes (a message queued or acknowledged, a subscription,
    /// a retained message): with 1, a message the broker acknowledged and queued is on disk by the end of the
    /// same event-loop round. See fleet/Iot.Stack/README.md for what it costs.</summary>
    public const int AutosaveChanges = 1;
}

/// <summary>How the project runs Mosquitto; the defaults are <see cref="BrokerLimits"/>.</summary>
public sealed class MosquittoOptions
{
    /// <summary>Plain-TCP port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>Folder for config, persistence and log; a temp folder when null.</summary>
    public string? StateDirectory { get; set; }

    /// <summary>Keep sessions and queued messages on disk across broker restarts.</summary>
    public bool Persistence { get; set; }

    /// <summary>With <see cref="Persistence"/>: save after this many changes (autosave_on_changes); 0 saves every
    /// 10 s instead, Mosquitto's way, which can lose up to 10 s of acknowledged messages in a crash.</summary>
    public int AutosaveChanges { get; set; } = BrokerLimits.AutosaveChanges;

    /// <summary>Messages queued per client beyond those in flight (Mosquitto: max_queued_messages).</summary>
    public int MaxQueuedMessages { get; set; } = BrokerLimits.MaxQueuedMessages;

    /// <summary>Payload bytes queued per client beyond those in flight (Mosquitto: max_queued_bytes, an int); 0 is no limit.</summary>
    public int MaxQueuedBytes { get; set; } = BrokerLimits.MaxQueuedBytes;

    /// <summary>QoS 1 messages in flight per client (Mosquitto: max_inflight_messages).</summary>
    public int MaxInflightMessages { get; set; } = 10_000;

    /// <summary>Largest packet the broker accepts, in bytes; 0 leaves Mosquitto's default (256 MB).</summary>
    public int MaxPacketSize { get; set; } = BrokerLimits.MaxPacketSize;

    /// <summary>A TLS listener for devices; null runs the plain loopback listener only.</summary>
    public MosquittoTlsOptions? Tls { get; set; }

    /// <summary>Mosquitto password file (<c>user:$7$…</c> lines). When this or <see cref="AclFile"/> is set,
    /// anonymous clients are refused on every listener, the loopback one included.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Mosquitto ACL file: who may publish and receive on which topics.</summary>
    public string? AclFile { get; set; }

    /// <summary>True when clients must authenticate (a password file or ACL file is set).</summary>
    public bool RequiresAuthentication => PasswordFile is not null || AclFile is not null;

    /// <summary>Extra lines appended to the generated mosquitto.conf.</summary>
    public List<string> ExtraConfig { get; } = [];
}

/// <summary>
/// The broker's TLS listeners. Devices with a password connect to <see cref="Port"/> (server certificate
/// only). Devices with a client certificate connect to a second listener, <see cref="ClientCertificatePort"/>,
/// which requires a certificate signed by the CA and takes its CN as the user name
/// (<c>require_certificate</c> + <c>use_identity_as_username</c>): Mosquitto applies these per listener,
/// and on one listener they would either lock out password devices or let a certificate-less client
/// through without an identity. Both listeners share the password file and ACLs, and both replace the
/// client id with the user name (<c>use_username_as_clientid</c>), so a device cannot take over another's session.
/// </summary>
public sealed class MosquittoTlsOptions
{
    /// <summary>TLS port for devices with a password; 0 picks a free one (8883 in production).</summary>
    public int Port { get; set; }

    /// <summary>Address to bind; null binds every interface. <see cref="MosquittoBroker.Start"/> refuses a TLS listener beyond
    /// loopback unless clients must authenticate (see <see cref="MosquittoOptions.RequiresAuthentication"/>).</summary>
    public string? BindAddress { get; set; }

    /// <summary>PEM CA certificate: the chain of <see cref="CertificateFile"/> and the trust root for client certificates.</summary>
    public required string CaFile { get; set; }

    /// <summary>PEM server certificate.</summary>
    public required string CertificateFile { get; set; }

    /// <summary>PEM private key of the server certificate.</summary>
    public required string KeyFile { get; set; }

    /// <summary>Also open the client-certificate listener.</summary>
    public bool ClientCertificates { get; set; }

    /// <summary>Port of the client-certificate listener; 0 picks a free one.</summary>
    public int ClientCertificatePort { get; set; }

    /// <summary>The listeners for the project CA's files.</summary>
    public static MosquittoTlsOptions From(ProjectCa ca) => new()
    {
        CaFile = ca.CaCertificatePath,
        CertificateFile = ca.ServerCertificatePath,
        KeyFile = ca.ServerKeyPath,
    };
}

/// <summary>A private Mosquitto broker on loopback, started and stopped by this process.</summary>
public sealed class MosquittoBroker : ISupervisedServer, IDisposable
{
    private readonly IReadOnlyList<int> _probed;
    private readonly string? _ownedTemp;
    private ServerProcess _process;

    private MosquittoBroker(ServerProcess process, Ports ports, IEnumerable<int> probed, string stateDirectory, string? ownedTemp)
    {
        _process = process;
        Port = ports.Plain;
        TlsPort = ports.Tls;
        ClientCertificatePort = ports.ClientCertificate;
        _probed = probed.ToArray();
        StateDirectory = stateDirectory;
        _ownedTemp = ownedTemp;
    }

    public string Name => "mosquitto";

    private sealed record Ports(int Plain, int? Tls, int? ClientCertificate)
    {
        public IEnumerable<int> All => new[] { Plain, Tls, ClientCertificate }.OfType<int>();
    }

    /// <summary>Always 127.0.0.1: the plain listener is never exposed beyond loopback.</summary>
    public string Host => "127.0.0.1";

    /// <summary>The plain-TCP listener's port.</summary>
    public int Port { get; }

    /// <summary>The TLS listener's port for password clients, or null without TLS.</summary>
    public int? TlsPort { get; }

    /// <summary>The TLS listener's port for client-certificate clients, or null when not enabled.</summary>
    public int? ClientCertificatePort { get; }

    /// <summary>File Mosquitto writes its process id to; a process that does not own the broker signals it
    /// through this file to reload accounts and ACLs.</summary>
    public string PidFile => Path.Combine(StateDirectory, "mosquitto.pid");

    /// <summary>Folder holding mosquitto.conf, persistence and the log.</summary>
    public string StateDirectory { get; }

    /// <summary>Output of the broker process, for test failure messages.</summary>
    public string RecentOutput => _process.RecentOutput;

    public bool IsRunning => _process.IsRunning;

    /// <summary>The broker's process id (benchmarks read its CPU, memory and limits from /proc).</summary>
    public int ProcessId => _process.ServerId ?? throw new InvalidOperationException("the broker is not running");

    public int? ExitCode => _process.ExitCode;

    private string ConfigFile => Path.Combine(StateDirectory, "mosquitto.conf");

    /// <summary>Starts Mosquitto and waits until it accepts connections.</summary>
    public static MosquittoBroker Start(MosquittoOptions? options = null)
    {
        options ??= new MosquittoOptions();
        if (options.Tls is { BindAddress: var bind } && !IsLoopback(bind) && !options.RequiresAuthentication)
            throw new InvalidOperationException("A TLS listener beyond loopback needs a password file or ACL file: it would expose an anonymous broker.");
        Exception? last = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var ownedTemp = options.StateDirectory is null ? Directory.CreateTempSubdirectory("iot-mosquitto-").FullName : null;
            var dir = options.StateDirectory ?? ownedTemp!;
            Directory.CreateDirectory(dir);
            var ports = new Ports(
                options.Port != 0 ? options.Port : LocalPort.Free(),
                options.Tls is { } tls ? (tls.Port != 0 ? tls.Port : LocalPort.Free()) : null,
                options.Tls is { ClientCertificates: true } certs ? (certs.ClientCertificatePort != 0 ? certs.ClientCertificatePort : LocalPort.Free()) : null);
            var conf = Path.Combine(dir, "mosquitto.conf");
            File.WriteAllText(conf, Config(options, ports, dir, Path.Combine(dir, "mosquitto.pid"), stayAsStartingUser: Environment.IsPrivilegedProcess));
            var process = ServerProcess.Start("mosquitto", "mosquitto", ["-c", conf], dir);
            // A TLS listener bound to one outside address cannot be probed on loopback; the plain one always can.
            var probed = options.Tls is null || options.Tls.BindAddress is null || IsLoopback(options.Tls.BindAddress) ? ports.All : [ports.Plain];
            var broker = new MosquittoBroker(process, ports, probed, dir, ownedTemp);
            if (broker.WaitUntilServing())
                return broker;
            last = new InvalidOperationException($"mosquitto did not start on ports {string.Join(", ", ports.All)}:\n{process.RecentOutput}");
            broker.Dispose();
            if (options.Port != 0 || options.Tls is { Port: not 0 } || options.Tls is { ClientCertificates: true, ClientCertificatePort: not 0 }) break;
        }
        throw last!;
    }

    /// <summary>Asks Mosquitto to reload its configuration, password file and ACLs (SIGHUP).</summary>
    public void Reload() => _process.Signal("HUP");

    /// <summary>Kills the broker without a clean shutdown.</summary>
    public void Kill() => _process.Kill();

    /// <summary>Starts Mosquitto again on the same ports, configuration and saved state, after it died or was killed.</summary>
    public void Restart()
    {
        _process.Dispose();
        _process = ServerProcess.Start("mosquitto", "mosquitto", ["-c", ConfigFile], StateDirectory);
        if (!WaitUntilServing())
            throw new InvalidOperationException($"mosquitto did not restart on ports {string.Join(", ", _probed)}:\n{_process.RecentOutput}");
    }

    private bool WaitUntilServing()
    {
        var process = _process;
        return Ready.WaitUntil(() => _probed.All(LocalPort.Accepts), () => process.IsRunning, TimeSpan.FromSeconds(15));
    }

    public void Dispose()
    {
        _process.Dispose();
        if (_ownedTemp is not null)
        {
            try { Directory.Delete(_ownedTemp, recursive: true); } catch (IOException) { }
        }
    }

    private static bool IsLoopback(string? address) =>
        address is not null && (address == "localhost" || (System.Net.IPAddress.TryParse(address, out var ip) && System.Net.IPAddress.IsLoopback(ip)));

    /// <summary>The production broker's mosquitto.conf (fleet/deploy/): the same settings as a stack broker, on fixed
    /// ports and with the given state folder and pid file. Started by systemd as its own user.</summary>
    public static string ProductionConfig(MosquittoOptions options, string stateDirectory, string pidFile)
    {
        if (options.Port == 0 || options.Tls is { Port: 0 } || options.Tls is { ClientCertificates: true, ClientCertificatePort: 0 })
            throw new ArgumentException("A production broker needs fixed ports.", nameof(options));
        var ports = new Ports(options.Port, options.Tls?.Port, options.Tls is { ClientCertificates: true } c ? c.ClientCertificatePort : null);
        return Config(options, ports, stateDirectory, pidFile, stayAsStartingUser: false)
            .Replace("# Written by Iot.Stack; changes are overwritten on the next start.",
                "# Generated by `dotnet fleet/Iot.Stack/bin/Release/net10.0/Iot.Stack.dll production-broker-config`; regenerate, do not edit.");
    }

    private static string Config(MosquittoOptions options, Ports ports, string dir, string pidFile, bool stayAsStartingUser)
    {
        var conf = new StringBuilder();
        conf.AppendLine("# Written by Iot.Stack; changes are overwritten on the next start.");
        // Started as root, Mosquitto would switch to its own user before reading the password file, ACLs and
        // server key, which live in our (often owner-only) state folders: keep it as the user who started it.
        if (stayAsStartingUser) conf.AppendLine("user root");
        // One set of security settings (password file, ACLs, anonymous or not) for every listener.
        conf.AppendLine("per_listener_settings false");
        conf.AppendLine($"allow_anonymous {(options.RequiresAuthentication ? "false" : "true")}");
        if (options.PasswordFile is { } passwords) conf.AppendLine($"password_file {Path.GetFullPath(passwords)}");
        if (options.AclFile is { } acl) conf.AppendLine($"acl_file {Path.GetFullPath(acl)}");
        conf.AppendLine($"listener {ports.Plain} 127.0.0.1");
        if (options.Tls is { } tls)
        {
            var bind = tls.BindAddress is null ? "" : " " + tls.BindAddress;
            conf.AppendLine($"listener {ports.Tls}{bind}");
            AppendTlsFiles(conf, tls);
            if (ports.ClientCertificate is { } certificatePort)
            {
                conf.AppendLine($"listener {certificatePort}{bind}");
                AppendTlsFiles(conf, tls);
                conf.AppendLine("require_certificate true");
                conf.AppendLine("use_identity_as_username true");
            }
        }
        conf.AppendLine($"max_queued_messages {options.MaxQueuedMessages}");
        conf.AppendLine($"max_queued_bytes {options.MaxQueuedBytes}");
        conf.AppendLine($"max_inflight_messages {options.MaxInflightMessages}");
        if (options.MaxPacketSize > 0) conf.AppendLine($"max_packet_size {options.MaxPacketSize}");
        conf.AppendLine($"persistence {(options.Persistence ? "true" : "false")}");
        if (options.Persistence)
        {
            conf.AppendLine($"persistence_location {dir.TrimEnd('/')}/");
            conf.AppendLine(options.AutosaveChanges > 0 ? "autosave_on_changes true" : "autosave_on_changes false");
            conf.AppendLine($"autosave_interval {(options.AutosaveChanges > 0 ? options.AutosaveChanges : 10)}");
        }
        conf.AppendLine($"pid_file {pidFile}");
        conf.AppendLine("log_dest stderr");
        conf.AppendLine("log_type error");
        conf.AppendLine("log_type warning");
        conf.AppendLine("log_type notice");
        conf.AppendLine("connection_messages false");
        foreach (var line in options.ExtraConfig) conf.AppendLine(line);
        return conf.ToString();
    }

    private static void AppendTlsFiles(StringBuilder conf, MosquittoTlsOptions tls)
    {
        conf.AppendLine($"cafile {Path.GetFullPath(tls.CaFile)}");
        conf.AppendLine($"certfile {Path.GetFullPath(tls.CertificateFile)}");
        conf.AppendLine($"keyfile {Path.GetFullPath(tls.KeyFile)}");
        conf.AppendLine("tls_version tlsv1.2");
        // Devices get their user name as client id, so one device cannot take over another's session.
        conf.AppendLine("use_username_as_clientid true");
    }
}
