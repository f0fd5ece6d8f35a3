using Dapper;
using Iot.Fleet.Storage;

namespace Iot.Fleet.Cluster;

/// <summary>
/// The fleet instances' heartbeats, by MQTT client id. The broker hands each member of the ingest's shared subscription
/// its share of the devices' messages and keeps a dead member's share in that member's session until it comes back, so
/// a silent instance's session is read by the leader meanwhile (Ingest/TelemetryIngest): leads keep coming from every
/// device while one instance is down, and the instance takes its session back when it returns.
/// </summary>
public sealed class FleetInstances(FleetDatabase database, TimeProvider clock)
{
    /// <summary>An instance that has not beaten for this long is silent.</summary>
    public static readonly TimeSpan SilentAfter = TimeSpan.FromSeconds(5);

    /// <summary>Sessions older than this have expired at the broker (the ingest's session expiry): nothing left to read.</summary>
    public static readonly TimeSpan SessionExpiry = TimeSpan.FromDays(7);

    /// <summary>True when other instances can share the database (PostgreSQL); on SQLite there is one, with nobody to beat for.</summary>
    public bool Shared => database.Dialect == SqlDialect.Postgres;

    /// <summary>Says this instance is alive.</summary>
    public void Beat(string clientId)
    {
        using var connection = database.Open();
        connection.Execute("INSERT INTO fleet_instances (client_id, seen_at) VALUES (@clientId, @now) ON CONFLICT (client_id) DO UPDATE SET seen_at = excluded.seen_at",
            new { clientId, now = clock.GetUtcNow().ToUnixTimeMilliseconds() });
    }

    /// <summary>The other instances that are silent but whose sessions the broker still keeps.</summary>
    public IReadOnlyList<string> Silent(string self)
    {
        var now = clock.GetUtcNow();
        using var connection = database.Open();
        return connection.Query<string>("SELECT client_id FROM fleet_instances WHERE client_id <> @self AND seen_at < @silent AND seen_at > @expired ORDER BY client_id",
            new { self, silent = (now - SilentAfter).ToUnixTimeMilliseconds(), expired = (now - SessionExpiry).ToUnixTimeMilliseconds() }).ToList();
    }
}
