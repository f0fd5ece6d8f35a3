using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Iot.Fleet.Storage;

/// <summary>Options of the fleet database (section "Database").</summary>
public sealed class DatabaseOptions
{
    /// <summary>ADO.NET connection string; SQLite by default, one file under .iot/.</summary>
    public string ConnectionString { get; set; } = "Data Source=.iot/fleet.db";

    /// <summary>The folder of the database file: the fleet's data folder.</summary>
    public string DataDirectory => Path.GetDirectoryName(Path.GetFullPath(new SqliteConnectionStringBuilder(ConnectionString).DataSource)) ?? ".";
}

/// <summary>Opens connections to the fleet database and brings its schema up to date.</summary>
public sealed class FleetDatabase
{
    private readonly string _connectionString;

    public FleetDatabase(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true };
        if (Path.GetDirectoryName(Path.GetFullPath(builder.DataSource)) is { } dir) Directory.CreateDirectory(dir);
        _connectionString = builder.ToString();
    }

    /// <summary>An open connection, in WAL mode so pages can read while the ingest writes.</summary>
    public DbConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        // synchronous=FULL: a committed batch survives a power cut, not only a crash of the fleet.
        connection.Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;");
        return connection;
    }

    /// <summary>Runs the migration steps this database has not seen yet; returns the schema version.</summary>
    public int Migrate()
    {
        using var connection = Open();
        connection.Execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        var version = connection.ExecuteScalar<int?>("SELECT MAX(version) FROM schema_version") ?? 0;
        for (var step = version; step < Migrations.Steps.Count; step++)
        {
            using var tx = connection.BeginTransaction();
            connection.Execute(Migrations.Steps[step], transaction: tx);
            connection.Execute("INSERT INTO schema_version (version) VALUES (@v)", new { v = step + 1 }, tx);
            tx.Commit();
        }
        return Migrations.Steps.Count;
    }
}
