using System.Collections.Concurrent;
using Iot.Stack;

namespace Iot.Testing;

/// <summary>
/// The fleet database a test gets: a SQLite file in the test's folder, or with `IOT_TEST_DATABASE=postgres` a fresh
/// database on one private PostgreSQL server started for the whole test run (`./iot test` runs the fleet tests both ways).
/// The same folder always names the same database, so a test that reopens its database (a restart) finds its data.
/// </summary>
public static class TestDatabase
{
    /// <summary>The environment variable that chooses: `sqlite` (default) or `postgres`.</summary>
    public const string Variable = "IOT_TEST_DATABASE";

    private static readonly ConcurrentDictionary<string, string> ByFolder = new(StringComparer.Ordinal);
    private static readonly Lazy<PostgresServer> Server = new(StartServer, LazyThreadSafetyMode.ExecutionAndPublication);
    private static int _next;

    /// <summary>True when the tests run against PostgreSQL.</summary>
    public static bool IsPostgres => (Environment.GetEnvironmentVariable(Variable) ?? "sqlite").Trim().ToLowerInvariant() switch
    {
        "" or "sqlite" => false,
        "postgres" or "postgresql" => true,
        var other => throw new InvalidOperationException($"{Variable} is sqlite or postgres, not '{other}'"),
    };

    /// <summary>The connection string of the fleet database kept for <paramref name="folder"/>: `Data Source={folder}/fleet.db`,
    /// or a PostgreSQL database made for that folder the first time it is asked for.</summary>
    public static string For(string folder)
    {
        var full = Path.GetFullPath(folder);
        return IsPostgres ? ByFolder.GetOrAdd(full, _ => Fresh()) : $"Data Source={Path.Combine(full, "fleet.db")}";
    }

    /// <summary>For a fleet process (<see cref="FleetOptions.DatabaseConnectionString"/>): a fresh PostgreSQL database, or
    /// null for the fleet's SQLite file in its state folder.</summary>
    public static string? ForFleetServer() => IsPostgres ? Fresh() : null;

    /// <summary>The connection string of a running fleet process's database.</summary>
    public static string Of(FleetServer fleet) =>
        fleet.Options.DatabaseConnectionString ?? $"Data Source={Path.Combine(fleet.StateDirectory, "fleet.db")}";

    /// <summary>The private PostgreSQL server of this test run (started on first use).</summary>
    public static PostgresServer Postgres => Server.Value;

    /// <summary>A new, empty PostgreSQL database on the test run's server.</summary>
    public static string Fresh() => Server.Value.CreateDatabase($"fleet_{Environment.ProcessId}_{Interlocked.Increment(ref _next)}");

    /// <summary>Lives as long as the test process: its guard stops it and deletes its temp folder once the process is gone
    /// (an exit handler raced the test host's end and sometimes lost).</summary>
    private static PostgresServer StartServer() => PostgresServer.Start(new PostgresOptions { Durable = false });
}
