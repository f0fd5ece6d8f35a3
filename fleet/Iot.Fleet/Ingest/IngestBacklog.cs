using System.Text.Json;
using Dapper;
using Iot.Contract;
using Iot.Fleet.Storage;

namespace Iot.Fleet.Ingest;

/// <summary>
/// The ingest's backfill lane: telemetry a gateway sends late from its store (quality bit 32) is written here as it
/// arrived, one cheap insert per message, and acknowledged; <see cref="TelemetryIngest"/> moves it into the journal in
/// large batches when live data leaves room. So a city's backfill after an outage leaves the broker's queue at the
/// speed of an insert, and a live record never waits behind it there (fleet README, "Live data first").
/// </summary>
public sealed class IngestBacklog(FleetDatabase database)
{
    /// <summary>A message waiting in the lane, with when the fleet received it (its records are read as of then).</summary>
    public sealed record Entry(long Id, string Device, string Topic, byte[] Payload, DateTimeOffset ReceivedAt);

    /// <summary>True when a telemetry envelope carries a record sent late from the device's store (quality bit 32).
    /// A payload that is not such an envelope is not late: the live path rejects it and says why.</summary>
    public static bool IsBackfill(ReadOnlySpan<byte> payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload);
            while (reader.Read())
            {
                // {"recs":[{"q":…}]}: a record's own properties are at depth 3.
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 3 || !reader.ValueTextEquals("q"u8)) continue;
                if (reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var q) && (q & QualityBits.Backfill) != 0) return true;
            }
        }
        catch (JsonException)
        {
        }
        return false;
    }

    /// <summary>Adds messages in one transaction; returns once they are durable. Only the ingest writes here (under its
    /// store lock), so it numbers the entries itself.</summary>
    internal void Add(IReadOnlyList<(string Device, TelemetryIngest.ReceivedMessage Message)> messages, DateTimeOffset receivedAt)
    {
        if (messages.Count == 0) return;
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        var next = connection.ExecuteScalar<long>("SELECT COALESCE(MAX(id), 0) + 1 FROM ingest_backlog", transaction: tx);
        using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = "INSERT INTO ingest_backlog (id, dev, topic, payload, received_at) VALUES (@id, @dev, @topic, @payload, @at)";
        var parameters = new[] { "@id", "@dev", "@topic", "@payload", "@at" }.Select(name =>
        {
            var p = insert.CreateParameter();
            p.ParameterName = name;
            insert.Parameters.Add(p);
            return p;
        }).ToArray();
        var at = receivedAt.ToUnixTimeMilliseconds();
        foreach (var (device, message) in messages)
        {
            parameters[0].Value = next++;
            parameters[1].Value = device;
            parameters[2].Value = message.Topic;
            parameters[3].Value = message.Payload.ToArray();
            parameters[4].Value = at;
            insert.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <summary>The oldest <paramref name="limit"/> entries, in arrival order.</summary>
    public IReadOnlyList<Entry> Oldest(int limit)
    {
        using var connection = database.Open();
        return connection.Query<(long id, string dev, string topic, byte[] payload, long received_at)>(
                "SELECT id, dev, topic, payload, received_at FROM ingest_backlog ORDER BY id LIMIT @limit", new { limit })
            .Select(r => new Entry(r.id, r.dev, r.topic, r.payload, DateTimeOffset.FromUnixTimeMilliseconds(r.received_at)))
            .ToList();
    }

    /// <summary>Deletes the entries up to <paramref name="id"/>, once their records are in the journal.</summary>
    public void RemoveUpTo(long id)
    {
        using var connection = database.Open();
        connection.Execute("DELETE FROM ingest_backlog WHERE id <= @id", new { id });
    }

    /// <summary>Entries waiting per device (on start: the lane outlives a restart).</summary>
    public Dictionary<string, int> WaitingByDevice()
    {
        using var connection = database.Open();
        return connection.Query<(string dev, long n)>("SELECT dev, COUNT(*) FROM ingest_backlog GROUP BY dev")
            .ToDictionary(r => r.dev, r => (int)r.n, StringComparer.Ordinal);
    }
}
