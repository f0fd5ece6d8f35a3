using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Iot.Fleet.Storage;

/// <summary>Options of the fleet database (section "Database").</summary>
public sealed class DatabaseOptions
{
    private string? _dataDirectory;

    /// <summary>ADO.NET connection string; SQLite by default, one file under .iot/. `Host=…` or `postgres://…` is PostgreSQL.</summary>
    public string ConnectionString { get; set; } = "Data Source=.iot/fleet.db";

    /// <summary>`sqlite` or `postgres`; empty: told by <see cref="ConnectionString"/>.</summary>
    public string? Provider { get; set; }

    /// <summary>SQLite's page cache of each connection, in KiB; SQLite's own 2,000 by default. A connection drops its whole
    /// cache whenever another one has committed, which in the fleet is every batch, so a bigger cache is mostly dropped
    /// unused: 16 MB made the ingest on an empty store slower in session 9's A/B (measured with a warm-up that left the
    /// runtime compiling inside the window), and the default meets the history target (./iot bench ingest, Benchmarks README).</summary>
    public int SqliteCacheKibibytes { get; set; } = 2_000;

    /// <summary>The fleet's data folder (keys, secrets, photos, releases, audit heads): the folder of the SQLite file
    /// unless set; a PostgreSQL deployment must set it.</summary>
    public string DataDirectory
    {
        get
        {
            if (_dataDirectory is { Length: > 0 } dir) return Path.GetFullPath(dir);
            if (SqlDialect.Of(this) != SqlDialect.Sqlite)
                throw new InvalidOperationException(
                    "Database:DataDirectory must be set when the fleet database is PostgreSQL: it is the folder for the fleet's keys, photos and releases");
            return Path.GetDirectoryName(Path.GetFullPath(new SqliteConnectionStringBuilder(ConnectionString).DataSource)) ?? ".";
        }
        set => _dataDirectory = value;
    }
}

/// <summary>What differs between the fleet's two databases, in one place. Everything else the fleet writes is SQL both
/// run alike (ON CONFLICT, RETURNING, COALESCE; no rowid, INSERT OR, or SQLite-only functions).</summary>
public sealed class SqlDialect
{
    /// <summary>The embedded default: one file, one writer at a time.</summary>
    public static readonly SqlDialect Sqlite = new("sqlite", Migrations.Steps);

    /// <summary>PostgreSQL through Npgsql; transactions take the fleet's writer lock (<see cref="PostgresConnection"/>).</summary>
    public static readonly SqlDialect Postgres = new("postgres", PostgresMigrations.Steps);

    private SqlDialect(string name, IReadOnlyList<string> migrations)
    {
        Name = name;
        MigrationSteps = migrations;
    }

    /// <summary>`sqlite` or `postgres`, as `Database:Provider` spells it.</summary>
    public string Name { get; }

    /// <summary>Foreign keys checked at commit for the rest of the transaction (on PostgreSQL, those declared DEFERRABLE).</summary>
    public string DeferForeignKeys => this == Sqlite ? "PRAGMA defer_foreign_keys = ON" : "SET CONSTRAINTS ALL DEFERRED";

    /// <summary>This database's schema steps (<see cref="Migrations"/>, <see cref="PostgresMigrations"/>).</summary>
    public IReadOnlyList<string> MigrationSteps { get; }

    /// <summary>The database the options name: `Database:Provider` when given, else the connection string's form
    /// (`Data Source=`/`Filename=` SQLite, `Host=`/`Server=`/`postgres://` PostgreSQL). Anything else stops the start.</summary>
    public static SqlDialect Of(DatabaseOptions options)
    {
        switch (options.Provider?.Trim().ToLowerInvariant())
        {
            case "sqlite":
                return Sqlite;
            case "postgres" or "postgresql" or "npgsql":
                return Postgres;
            case null or "":
                break;
            default:
                throw new InvalidOperationException($"Database:Provider must be sqlite or postgres, not '{options.Provider}'");
        }
        var text = options.ConnectionString?.Trim() ?? "";
        if (text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            return Postgres;
        DbConnectionStringBuilder keys;
        try
        {
            keys = new DbConnectionStringBuilder { ConnectionString = text };
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"Database:ConnectionString cannot be read: {e.Message}", e);
        }
        if (keys.ContainsKey("Data Source") || keys.ContainsKey("DataSource") || keys.ContainsKey("Filename")) return Sqlite;
        if (keys.ContainsKey("Host") || keys.ContainsKey("Server")) return Postgres;
        throw new InvalidOperationException(
            "Database:ConnectionString names neither a SQLite file (Data Source=…) nor a PostgreSQL server (Host=… or postgres://…); " +
            "set Database:Provider to sqlite or postgres");
    }

    public override string ToString() => Name;
}

/// <summary>Opens connections to the fleet database and brings its schema up to date.</summary>
public sealed class FleetDatabase : IDisposable
{
    private readonly string _connectionString = "";
    private readonly string _sqlitePragmas = "";
    private readonly NpgsqlDataSource? _postgres;

    /// <summary>The database <paramref name="options"/> name.</summary>
    public FleetDatabase(DatabaseOptions options)
    {
        Dialect = SqlDialect.Of(options);
        if (Dialect == SqlDialect.Sqlite)
        {
            var builder = new SqliteConnectionStringBuilder(options.ConnectionString) { Pooling = true };
            if (Path.GetDirectoryName(Path.GetFullPath(builder.DataSource)) is { } dir) Directory.CreateDirectory(dir);
            _connectionString = builder.ToString();
            if (options.SqliteCacheKibibytes <= 0) throw new InvalidOperationException("Database:SqliteCacheKibibytes must be positive");
            // synchronous=FULL: a committed batch survives a power cut, not only a crash of the fleet.
            _sqlitePragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON; " +
                             $"PRAGMA cache_size=-{options.SqliteCacheKibibytes};";
        }
        else
        {
            PostgresConnectionString = PostgresConnection.Keywords(options.ConnectionString);
            _postgres = NpgsqlDataSource.Create(PostgresConnectionString);
        }
    }

    /// <summary>PostgreSQL's connection keywords (null on SQLite).</summary>
    public string? PostgresConnectionString { get; }

    /// <summary>A PostgreSQL session of its own, outside the pool (a pooled one would keep a session lock or a LISTEN after
    /// it is returned), with TCP keepalives short enough that the server notices a dead peer within about 5 s
    /// (Cluster/FleetLeadership, Cluster/ChangeListener). Only on PostgreSQL.</summary>
    public async Task<NpgsqlConnection> OpenSessionAsync(string applicationName, CancellationToken stop)
    {
        var builder = new NpgsqlConnectionStringBuilder(PostgresConnectionString ?? throw new InvalidOperationException("a session needs PostgreSQL"))
        {
            Pooling = false, KeepAlive = 1, ApplicationName = applicationName, Timeout = 5,
        };
        var session = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await session.OpenAsync(stop);
            await using var keepalive = new NpgsqlCommand(
                "SET tcp_keepalives_idle = 2; SET tcp_keepalives_interval = 1; SET tcp_keepalives_count = 3", session);
            await keepalive.ExecuteNonQueryAsync(stop);
            return session;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    /// <summary>A SQLite file, or whatever <paramref name="connectionString"/> names (the tests' way in).</summary>
    public FleetDatabase(string connectionString) : this(new DatabaseOptions { ConnectionString = connectionString })
    {
    }

    /// <summary>SQLite or PostgreSQL: where the two differ.</summary>
    public SqlDialect Dialect { get; }

    /// <summary>An open connection. SQLite: in WAL mode so pages can read while the ingest writes. PostgreSQL: its
    /// transactions take turns like SQLite's writers (<see cref="PostgresConnection"/>).</summary>
    public DbConnection Open()
    {
        if (_postgres is not null)
        {
            var inner = _postgres.OpenConnection();
            return new PostgresConnection(inner);
        }
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        connection.Execute(_sqlitePragmas);
        return connection;
    }

    /// <summary>The PostgreSQL channel on which fleet instances tell each other what they changed (Cluster/ChangeListener).</summary>
    public const string ChangeChannel = "iot_fleet";

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Coalesced> _onChange = new(StringComparer.Ordinal);

    /// <summary>This process among the fleet instances on one database (its own announcements come back to it and are skipped).</summary>
    public string Instance { get; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));

    /// <summary>Tells the other fleet instances on this database that <paramref name="what"/> changed, so they reload their
    /// view of it (PostgreSQL NOTIFY; nothing to tell on SQLite, where one instance runs). Call it after the commit.</summary>
    public void Announce(string what)
    {
        if (_postgres is null) return;
        using var connection = Open();
        connection.Execute($"SELECT pg_notify('{ChangeChannel}', @payload)", new { payload = $"{what}:{Instance}" });
    }

    /// <summary>What to do when another instance announces that <paramref name="what"/> changed.</summary>
    public void OnAnnounced(string what, Action reload) => _onChange[what] = new Coalesced(reload);

    /// <summary>Runs the reload for an announcement another instance made (`{what}:{instance}`); null runs every one (after
    /// the listener was away and may have missed some).</summary>
    public void Delivered(string? payload)
    {
        if (payload is null)
        {
            foreach (var reload in _onChange.Values) reload.Run();
            return;
        }
        var colon = payload.LastIndexOf(':');
        if (colon < 0 || payload[(colon + 1)..] == Instance) return;
        if (_onChange.TryGetValue(payload[..colon], out var announced)) announced.Run();
    }

    /// <summary>A reload on the thread pool that runs once more after the last request, however many arrive while it runs:
    /// a thousand devices registered on one instance cost the others a few reloads, not a thousand.</summary>
    private sealed class Coalesced(Action reload)
    {
        private int _state; // 0 idle, 1 running, 2 running and asked again

        public void Run()
        {
            if (Interlocked.Increment(ref _state) == 1) ThreadPool.QueueUserWorkItem(_ => Loop());
            else Interlocked.CompareExchange(ref _state, 2, 3);
        }

        private void Loop()
        {
            do
            {
                Volatile.Write(ref _state, 1);
                try { reload(); }
                catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
                {
                    // The next announcement, or the listener's catch-up after reconnecting, reads again.
                }
            } while (Interlocked.CompareExchange(ref _state, 0, 1) != 1);
        }
    }

    /// <summary>Closes PostgreSQL's pooled connections (SQLite pools per file, process-wide).</summary>
    public void Dispose() => _postgres?.Dispose();

    /// <summary>Runs the migration steps this database has not seen yet, each in its own transaction (which on
    /// PostgreSQL holds the writer lock, so two fleets starting at once run each step once); returns the schema version.</summary>
    public int Migrate()
    {
        var steps = Dialect.MigrationSteps;
        using var connection = Open();
        using (var tx = connection.BeginTransaction())
        {
            connection.Execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)", transaction: tx);
            tx.Commit();
        }
        while (true)
        {
            using var tx = connection.BeginTransaction();
            var version = connection.ExecuteScalar<long?>("SELECT MAX(version) FROM schema_version", transaction: tx) ?? 0;
            if (version >= steps.Count) break;
            connection.Execute(steps[(int)version], transaction: tx);
            connection.Execute("INSERT INTO schema_version (version) VALUES (@v)", new { v = version + 1 }, tx);
            tx.Commit();
        }
        return steps.Count;
    }
}
