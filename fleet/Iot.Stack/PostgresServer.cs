using System.Diagnostics;
using System.Runtime.InteropServices;
using Npgsql;

namespace Iot.Stack;

/// <summary>How the project runs PostgreSQL (Debian's `postgresql`).</summary>
public sealed class PostgresOptions
{
    /// <summary>TCP port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>Folder for the cluster (`data/`), its unix socket and its password; a temp folder when null.</summary>
    public string? StateDirectory { get; set; }

    /// <summary>False for throw-away test servers: no fsync, so a test run does not wait on the disk. A power cut may
    /// then lose the cluster, which a test's temp folder does not mind.</summary>
    public bool Durable { get; set; } = true;
}

/// <summary>
/// A private PostgreSQL on loopback, started and stopped by this process: `initdb` into the state folder the first time
/// (superuser `iot` with a generated password, scram-sha-256, UTF-8, C collation so text sorts by code point as on
/// SQLite), then `postgres` listening on 127.0.0.1 only, its unix socket in the state folder. PostgreSQL refuses to run
/// as root; run as root (CI, containers), the cluster belongs to Debian's `postgres` account and both programs run as it.
/// </summary>
public sealed class PostgresServer : ISupervisedServer, IDisposable
{
    /// <summary>The superuser initdb makes; the fleet connects as it.</summary>
    public const string User = "iot";

    private const string RunAs = "postgres";
    private ServerProcess _process;
    private readonly string[] _arguments;
    private readonly string? _ownedTemp;

    private PostgresServer(ServerProcess process, string[] arguments, int port, string stateDirectory, string password, string? ownedTemp)
    {
        _process = process;
        _arguments = arguments;
        Port = port;
        StateDirectory = stateDirectory;
        Password = password;
        _ownedTemp = ownedTemp;
    }

    public string Name => "postgres";
    public int Port { get; }
    public string Host => "127.0.0.1";

    /// <summary>Folder holding `data/` (the cluster), `password` (mode 0600) and the unix socket.</summary>
    public string StateDirectory { get; }

    /// <summary>The password of <see cref="User"/>.</summary>
    public string Password { get; }

    public bool IsRunning => _process.IsRunning;
    public int? ExitCode => _process.ExitCode;

    /// <summary>Output of the server process, for failure messages.</summary>
    public string RecentOutput => _process.RecentOutput;

    /// <summary>The Npgsql connection string of <paramref name="database"/> on this server.</summary>
    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = Host, Port = Port, Username = User, Password = Password, Database = database }.ConnectionString;

    /// <summary>Creates <paramref name="database"/> unless it exists; returns its connection string.</summary>
    public string CreateDatabase(string database)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(database, "^[a-z][a-z0-9_]{0,62}$"))
            throw new ArgumentException("a database name here is lower-case letters, digits and _", nameof(database));
        using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        connection.Open();
        using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
        exists.Parameters.AddWithValue("name", database);
        if (exists.ExecuteScalar() is null)
        {
            using var create = new NpgsqlCommand($"CREATE DATABASE {database} OWNER {User} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'", connection);
            create.ExecuteNonQuery();
        }
        return ConnectionString(database);
    }

    /// <summary>Starts PostgreSQL (after initdb on a fresh state folder) and waits until it answers a query.</summary>
    public static PostgresServer Start(PostgresOptions? options = null)
    {
        options ??= new PostgresOptions();
        var bin = BinaryFolder();
        var ownedTemp = options.StateDirectory is null ? Directory.CreateTempSubdirectory("iot-pg-").FullName : null;
        var dir = Path.GetFullPath(options.StateDirectory ?? ownedTemp!);
        Directory.CreateDirectory(dir);
        var password = PrivateFile.ReadOrCreate(Path.Combine(dir, "password"),
            () => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)));
        var data = Path.Combine(dir, "data");
        if (!File.Exists(Path.Combine(data, "PG_VERSION"))) InitDb(bin, dir, data, options.Durable);
        Exception? last = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var port = options.Port != 0 ? options.Port : LocalPort.Free();
            string[] arguments =
            [
                "-D", data, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-k", dir,
                "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=500", "-c", "logging_collector=off",
                .. options.Durable ? Array.Empty<string>() : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
            ];
            var process = Launch(bin, arguments, dir, ownedTemp);
            var server = new PostgresServer(process, arguments, port, dir, password, ownedTemp);
            if (Ready.WaitUntil(server.Answers, () => process.IsRunning, TimeSpan.FromSeconds(30)))
                return server;
            last = new InvalidOperationException($"postgres did not start on port {port}:\n{process.RecentOutput}");
            server._process.Dispose();
            if (options.Port != 0) break;
        }
        if (ownedTemp is not null) TryDelete(ownedTemp);
        throw last!;
    }

    /// <summary>Starts PostgreSQL again on the same port and cluster, after it died.</summary>
    public void Restart()
    {
        StopServer();
        _process = Launch(BinaryFolder(), _arguments, StateDirectory, _ownedTemp);
        if (!Ready.WaitUntil(Answers, () => _process.IsRunning, TimeSpan.FromSeconds(30)))
            throw new InvalidOperationException($"postgres did not restart on port {Port}:\n{_process.RecentOutput}");
    }

    public void Dispose()
    {
        StopServer();
        if (_ownedTemp is not null) TryDelete(_ownedTemp);
    }

    /// <summary>A fast shutdown (SIGINT: open sessions are ended), not SIGTERM's wait for every client to leave.</summary>
    private void StopServer()
    {
        if (_process.IsRunning) _process.Signal("INT");
        _process.Dispose();
    }

    private bool Answers()
    {
        try
        {
            using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false;Timeout=2");
            connection.Open();
            return true;
        }
        catch (NpgsqlException) { return false; }
    }

    /// <summary>Debian keeps the server programs under /usr/lib/postgresql/{version}/bin (the newest wins); elsewhere
    /// they are on PATH.</summary>
    public static string BinaryFolder()
    {
        const string debian = "/usr/lib/postgresql";
        if (Directory.Exists(debian))
        {
            var newest = Directory.GetDirectories(debian)
                .Where(d => int.TryParse(Path.GetFileName(d), out _) && File.Exists(Path.Combine(d, "bin", "initdb")))
                .OrderByDescending(d => int.Parse(Path.GetFileName(d), System.Globalization.CultureInfo.InvariantCulture))
                .FirstOrDefault();
            if (newest is not null) return Path.Combine(newest, "bin");
        }
        return ServerProcess.Which("initdb") is { } initdb ? Path.GetDirectoryName(initdb)!
            : throw new InvalidOperationException("PostgreSQL is not installed (initdb not found). Run ./iot test or ./iot up --db postgres once; they install it with apt-get.");
    }

    private static void InitDb(string bin, string dir, string data, bool durable)
    {
        if (IsRoot) Own(dir);
        var pwfile = Path.Combine(dir, "password");
        List<string> arguments = ["-D", data, "-U", User, "--pwfile", pwfile, "--auth", "scram-sha-256", "--encoding", "UTF8", "--locale", "C"];
        if (!durable) arguments.Add("--no-sync");
        var (program, args) = AsServerUser(Path.Combine(bin, "initdb"), arguments);
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dir };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            TryDelete(data);
            throw new InvalidOperationException($"initdb failed ({process.ExitCode}):\n{errors}\n{output.Result}");
        }
    }

    /// <summary>Starts `postgres`; a temp cluster is deleted by the guard when this process dies without stopping it (a
    /// test run's process may end before its exit handlers do).</summary>
    private static ServerProcess Launch(string bin, string[] arguments, string dir, string? ownedTemp)
    {
        var (program, args) = AsServerUser(Path.Combine(bin, "postgres"), arguments);
        return ServerProcess.Start("postgres", program, args, dir, removeWhenDone: ownedTemp);
    }

    /// <summary>As root, the program runs as `postgres` through setpriv, which execs it (no process in between, so
    /// signals reach the server itself).</summary>
    private static (string Program, IReadOnlyList<string> Arguments) AsServerUser(string program, IReadOnlyList<string> arguments) =>
        IsRoot ? ("setpriv", ["--reuid", RunAs, "--regid", RunAs, "--init-groups", "--", program, .. arguments]) : (program, arguments);

    private static bool IsRoot => geteuid() == 0;

    [DllImport("libc", SetLastError = true)]
    private static extern uint geteuid();

    /// <summary>Hands the state folder to `postgres` (it must own the cluster and reach its socket folder).</summary>
    private static void Own(string dir)
    {
        using var chown = Process.Start(new ProcessStartInfo("chown", ["-R", $"{RunAs}:{RunAs}", dir]) { UseShellExecute = false, RedirectStandardError = true })!;
        var errors = chown.StandardError.ReadToEnd();
        chown.WaitForExit();
        if (chown.ExitCode != 0)
            throw new InvalidOperationException($"PostgreSQL cannot run as root, and the folder could not be given to the '{RunAs}' account " +
                $"(Debian's postgresql package makes it): {errors}");
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
