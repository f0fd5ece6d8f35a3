using Dapper;
using Iot.Fleet.Storage;
using Iot.Testing;
using Xunit;

namespace Iot.Fleet.Tests.Storage;

/// <summary>The two schemas stay twins, and the fleet knows which database it was given (or says why not).</summary>
public sealed class MigrationsTests
{
    [Fact]
    public void Every_SQLite_step_has_its_PostgreSQL_twin()
    {
        Assert.Equal(Migrations.Steps.Count, PostgresMigrations.Steps.Count);
    }

    [Fact]
    public void Both_schemas_have_the_same_tables_and_columns()
    {
        var folder = Directory.CreateTempSubdirectory("iot-schema-").FullName;
        try
        {
            using var sqlite = new FleetDatabase($"Data Source={Path.Combine(folder, "fleet.db")}");
            Assert.Equal(Migrations.Steps.Count, sqlite.Migrate());
            using var postgres = new FleetDatabase(TestDatabase.Fresh());
            Assert.Equal(PostgresMigrations.Steps.Count, postgres.Migrate());

            HashSet<string> sqliteColumns, postgresColumns;
            using (var connection = sqlite.Open())
                sqliteColumns = connection.Query<string>(
                    """
                    SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
                    WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%'
                    """).ToHashSet();
            using (var connection = postgres.Open())
                postgresColumns = connection.Query<string>(
                    "SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = 'public'").ToHashSet();
            Assert.Contains("records.row_id", sqliteColumns);
            Assert.Equal(sqliteColumns.Order(StringComparer.Ordinal), postgresColumns.Order(StringComparer.Ordinal));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("Data Source=.iot/fleet.db", null, "sqlite")]
    [InlineData("Filename=/var/lib/iot/fleet.db", null, "sqlite")]
    [InlineData("Host=db.internal;Database=fleet;Username=fleet", null, "postgres")]
    [InlineData("Server=db.internal;Database=fleet", null, "postgres")]
    [InlineData("postgres://fleet:secret@db.internal:5432/fleet", null, "postgres")]
    [InlineData("postgresql://db.internal/fleet", null, "postgres")]
    [InlineData("Host=db.internal;Database=fleet", "PostgreSQL", "postgres")]
    [InlineData("Data Source=fleet.db", "sqlite", "sqlite")]
    public void The_database_is_told_by_its_connection_string_or_named(string connectionString, string? provider, string expected)
    {
        Assert.Equal(expected, SqlDialect.Of(new DatabaseOptions { ConnectionString = connectionString, Provider = provider }).Name);
    }

    [Theory]
    [InlineData("Database=fleet;Username=fleet", null, "set Database:Provider")]
    [InlineData("Data Source=fleet.db", "mysql", "Database:Provider must be sqlite or postgres, not 'mysql'")]
    [InlineData("Host=\"unclosed", null, "Database:ConnectionString cannot be read")]
    public void A_database_that_cannot_be_told_stops_the_start_saying_why(string connectionString, string? provider, string message)
    {
        var refused = Assert.Throws<InvalidOperationException>(() => new FleetDatabase(new DatabaseOptions { ConnectionString = connectionString, Provider = provider }));
        Assert.Contains(message, refused.Message);
    }

    [Fact]
    public void A_postgres_url_becomes_the_keywords_Npgsql_reads()
    {
        var keywords = new Npgsql.NpgsqlConnectionStringBuilder(PostgresConnection.Keywords("postgres://fleet:p%40ss@db.internal:6432/iot_fleet?sslmode=require"));

        Assert.Equal("db.internal", keywords.Host);
        Assert.Equal(6432, keywords.Port);
        Assert.Equal("fleet", keywords.Username);
        Assert.Equal("p@ss", keywords.Password);
        Assert.Equal("iot_fleet", keywords.Database);
        Assert.Equal(Npgsql.SslMode.Require, keywords.SslMode);
        Assert.Contains("'nonsense' is not a PostgreSQL connection setting",
            Assert.Throws<InvalidOperationException>(() => PostgresConnection.Keywords("postgres://db/fleet?nonsense=1")).Message);
    }

    [Fact]
    public void The_data_folder_is_the_SQLite_files_unless_set_and_PostgreSQL_must_set_it()
    {
        Assert.Equal(Path.GetFullPath("/srv/iot"), new DatabaseOptions { ConnectionString = "Data Source=/srv/iot/fleet.db" }.DataDirectory);
        Assert.Equal(Path.GetFullPath("/srv/data"), new DatabaseOptions { ConnectionString = "Data Source=/srv/iot/fleet.db", DataDirectory = "/srv/data" }.DataDirectory);
        Assert.Equal(Path.GetFullPath("/srv/data"), new DatabaseOptions { ConnectionString = "Host=db", DataDirectory = "/srv/data" }.DataDirectory);
        Assert.Contains("Database:DataDirectory must be set",
            Assert.Throws<InvalidOperationException>(() => new DatabaseOptions { ConnectionString = "Host=db" }.DataDirectory).Message);
    }

    [Fact]
    public void Every_SQLite_connection_has_the_page_cache_the_options_give_and_a_cache_of_nothing_stops_the_start()
    {
        var dir = Directory.CreateTempSubdirectory("iot-cache-").FullName;
        try
        {
            using (var connection = new FleetDatabase(new DatabaseOptions { ConnectionString = $"Data Source={dir}/a.db" }).Open())
                Assert.Equal(-2000, connection.ExecuteScalar<long>("PRAGMA cache_size"));
            using (var connection = new FleetDatabase(new DatabaseOptions { ConnectionString = $"Data Source={dir}/b.db", SqliteCacheKibibytes = 16_384 }).Open())
                Assert.Equal(-16_384, connection.ExecuteScalar<long>("PRAGMA cache_size"));
            Assert.Contains("SqliteCacheKibibytes",
                Assert.Throws<InvalidOperationException>(() => new FleetDatabase(new DatabaseOptions { ConnectionString = $"Data Source={dir}/c.db", SqliteCacheKibibytes = 0 })).Message);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
