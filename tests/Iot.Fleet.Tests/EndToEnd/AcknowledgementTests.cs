using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Xunit;
using static Iot.Fleet.Tests.EndToEnd.PipelineFixture;

namespace Iot.Fleet.Tests.EndToEnd;

/// <summary>
/// The ingest acknowledges a PUBLISH only after its record is durable: a message whose write fails, or that the fleet
/// holds when it dies, stays with the broker, comes again to the fleet's persistent session and is stored exactly once.
/// Each test has its own broker and fleet: a failing stage shows in /healthz, which other end-to-end tests expect clean.
/// </summary>
public sealed class AcknowledgementTests
{
    private const string Fume = """{"fume":0.4,"fan":1,"pur":1}""";

    /// <summary>Also through a shared subscription (`$share/ingest/…`, how several fleet instances split the stream):
    /// the broker keeps what it sent the group's session unacknowledged for that session.</summary>
    [Theory]
    [InlineData("")]
    [InlineData("ingest")]
    public async Task A_message_whose_durable_write_fails_is_redelivered_by_the_broker_and_stored_once(string sharedGroup)
    {
        using var pipeline = PipelineFixture.Configured(new Dictionary<string, string> { ["Mqtt__SharedGroup"] = sharedGroup });
        await pipeline.Register("ACK-FAIL", "fume", "GW-ACK-1");
        await using var gateway = await pipeline.Gateway("GW-ACK-1");
        var start = Minute(DateTimeOffset.UtcNow.AddMinutes(-30));
        await gateway.PublishAsync("iot/v1/GW-ACK-1/telemetry", Envelope("GW-ACK-1", (1, start, 0, Fume)));
        await pipeline.Eventually(() => Task.FromResult(pipeline.JournalCount("GW-ACK-1")), n => n == 1, "the first record stored");
        var failuresBefore = await IngestFailures(pipeline);

        using (var writeLock = Lock(pipeline))
        {
            // The broker has the message (PUBACK to the gateway); the fleet's write fails once SQLite's busy timeout runs out.
            await gateway.PublishAsync("iot/v1/GW-ACK-1/telemetry", Envelope("GW-ACK-1", (2, start + 60, 0, Fume)));
            await pipeline.Eventually(() => IngestFailures(pipeline), n => n > failuresBefore, "the ingest's durable write to fail", 60);
            Assert.Equal(1, pipeline.JournalCount("GW-ACK-1"));
        }

        await pipeline.Eventually(() => Task.FromResult(pipeline.JournalCount("GW-ACK-1")), n => n == 2, "the redelivered record stored", 60);
        await AssertStoredOnce(pipeline, gateway, start);
    }

    [Fact]
    public async Task A_message_the_fleet_held_unacknowledged_when_it_died_is_redelivered_and_stored_once()
    {
        using var pipeline = new PipelineFixture();
        await pipeline.Register("ACK-KILL", "fume", "GW-ACK-1");
        await using var gateway = await pipeline.Gateway("GW-ACK-1");
        var start = Minute(DateTimeOffset.UtcNow.AddMinutes(-30));
        await gateway.PublishAsync("iot/v1/GW-ACK-1/telemetry", Envelope("GW-ACK-1", (1, start, 0, Fume)));
        await pipeline.Eventually(() => Task.FromResult(pipeline.JournalCount("GW-ACK-1")), n => n == 1, "the first record stored");

        var writeLock = Lock(pipeline);
        try
        {
            await gateway.PublishAsync("iot/v1/GW-ACK-1/telemetry", Envelope("GW-ACK-1", (2, start + 60, 0, Fume)));
            // The fleet takes the message at once and waits on the lock (busy timeout 10 s) when it is killed.
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.Equal(1, pipeline.JournalCount("GW-ACK-1"));
            pipeline.CrashAndRestartFleet(whileDown: () => writeLock.Dispose());
        }
        finally
        {
            writeLock.Dispose();
        }

        await pipeline.Eventually(() => Task.FromResult(pipeline.JournalCount("GW-ACK-1")), n => n == 2, "the redelivered record stored", 60);
        await AssertStoredOnce(pipeline, gateway, start);
    }

    /// <summary>The fleet's write lock held by the test (readers go on): SQLite's, or on PostgreSQL the writer lock every
    /// fleet transaction takes (Storage/PostgresConnection); disposing it releases the lock.</summary>
    private static IDisposable Lock(PipelineFixture pipeline)
    {
        var connection = pipeline.OpenDatabase();
        var tx = connection.BeginTransaction();
        // SQLite's transaction takes the write lock at its first write; PostgreSQL's took the writer lock at its start.
        connection.Execute("DELETE FROM cursors WHERE name = 'no such cursor'", transaction: tx);
        return new Held(connection, tx);
    }

    private sealed class Held(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction tx) : IDisposable
    {
        public void Dispose()
        {
            tx.Dispose();
            connection.Dispose();
        }
    }

    /// <summary>A third record behind the redelivered one, then: each of the three stored once, as one raw message each.</summary>
    private static async Task AssertStoredOnce(PipelineFixture pipeline, Iot.Testing.TestMqttClient gateway, long start)
    {
        await gateway.PublishAsync("iot/v1/GW-ACK-1/telemetry", Envelope("GW-ACK-1", (3, start + 120, 0, Fume)));
        await pipeline.Eventually(() => Task.FromResult(pipeline.JournalCount("GW-ACK-1")), n => n == 3, "the third record stored");
        using var connection = pipeline.OpenDatabase();
        Assert.Equal(3L, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM messages WHERE topic = 'iot/v1/GW-ACK-1/telemetry'"));
        Assert.Equal(3L, connection.ExecuteScalar<long>("SELECT COUNT(DISTINCT seq) FROM records WHERE dev = 'GW-ACK-1'"));
    }

    /// <summary>Failures of the ingest stage in /healthz, read whether the fleet answers 200 or 503 (not ready while it restarts).</summary>
    private static async Task<int> IngestFailures(PipelineFixture pipeline)
    {
        using var http = pipeline.Fleet.Http();
        using var answer = await http.GetAsync("/healthz");
        var health = (await answer.Content.ReadFromJsonAsync<JsonObject>())!;
        return health["stages"]!.AsArray().Where(s => (string)s!["stage"]! == "ingest").Sum(s => (int)s!["failures"]!);
    }
}
