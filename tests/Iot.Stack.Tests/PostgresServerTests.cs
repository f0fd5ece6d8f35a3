using Npgsql;
using Xunit;

namespace Iot.Stack.Tests;

/// <summary>The private PostgreSQL `./iot up --db postgres` and the tests use: loopback only, a password its folder keeps
/// from others, data that survives a restart, and a fresh database on request.</summary>
public sealed class PostgresServerTests
{
    [Fact]
    public void A_database_made_on_it_keeps_its_rows_across_a_restart_and_only_loopback_and_the_password_get_in()
    {
        var folder = Directory.CreateTempSubdirectory("iot-pg-test-").FullName;
        try
        {
            using (var server = PostgresServer.Start(new PostgresOptions { StateDirectory = folder, Durable = false }))
            {
                var connectionString = server.CreateDatabase("fleet");
                Assert.Equal(connectionString, server.CreateDatabase("fleet")); // made once, asked again
                using (var connection = new NpgsqlConnection(connectionString))
                {
                    connection.Open();
                    using var write = new NpgsqlCommand("CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('before the restart')", connection);
                    write.ExecuteNonQuery();
                    using var collation = new NpgsqlCommand("SELECT datcollate FROM pg_database WHERE datname = 'fleet'", connection);
                    Assert.Equal("C", collation.ExecuteScalar());
                    using var listens = new NpgsqlCommand("SHOW listen_addresses", connection);
                    Assert.Equal("127.0.0.1", listens.ExecuteScalar());
                }
                if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "password")));
                var wrong = new NpgsqlConnectionStringBuilder(connectionString) { Password = "not-the-password", Pooling = false };
                using (var intruder = new NpgsqlConnection(wrong.ConnectionString))
                    Assert.Equal("28P01", Assert.Throws<PostgresException>(() => intruder.Open()).SqlState); // invalid_password
                Assert.Throws<ArgumentException>(() => server.CreateDatabase("fleet; DROP DATABASE postgres"));
                server.Restart();
                Assert.True(server.IsRunning);
                NpgsqlConnection.ClearAllPools();
                using var again = new NpgsqlConnection(connectionString);
                again.Open();
                using var read = new NpgsqlCommand("SELECT v FROM kept", again);
                Assert.Equal("before the restart", read.ExecuteScalar());
            }
            NpgsqlConnection.ClearAllPools();
            // Started again on the same folder, it finds the cluster (no second initdb) and the database.
            using var reopened = PostgresServer.Start(new PostgresOptions { StateDirectory = folder, Durable = false });
            using var last = new NpgsqlConnection(reopened.ConnectionString("fleet"));
            last.Open();
            using var count = new NpgsqlCommand("SELECT COUNT(*) FROM kept", last);
            Assert.Equal(1L, count.ExecuteScalar());
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
