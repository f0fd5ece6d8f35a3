using System.Text.Json;
using Dapper;
using Iot.Fleet.People;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Ingest;

/// <summary>A message the ingest refused, with the reason, as engineers inspect it.</summary>
public sealed record RejectionView(long Id, string? Device, string Topic, string Reason, string Payload, DateTime ReceivedAt);

/// <summary>A record number that arrived again with other content: the stored version and the one sent later.</summary>
public sealed record ConflictView(long Id, string Device, DateTime Time, JsonElement Data, DateTime ReceivedAt);

/// <summary>A reading InfluxDB refused, kept with its reason (the record itself stays in the journal).</summary>
public sealed record QuarantinedLineView(long RowId, string Device, string Line, string Reason, DateTime At);

/// <summary>What the ingest set aside, for engineers: rejected messages (per device, or those without a device),
/// (dev, seq) conflicts and the lines InfluxDB refused. Newest first, at most <c>limit</c> (≤ 500).</summary>
public static class IngestApi
{
    private const int MaxLimit = 500;

    public static void MapIngestApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Ingest").RequireRoles(Roles.Engineer);
        api.MapGet("/rejections", (string? device, int? limit, FleetDatabase database) => Rejections(database, device, limit));
        api.MapGet("/devices/{id}/rejections", (string id, int? limit, FleetDatabase database) => Rejections(database, id, limit));
        api.MapGet("/conflicts", (string? device, int? limit, FleetDatabase database) => Conflicts(database, device, limit));
        api.MapGet("/influx/quarantine", (string? device, int? limit, FleetDatabase database) => Quarantine(database, device, limit));
        app.MapGet("/engineer/ingest", (string? device, FleetDatabase database, Health.FleetHealth health) => Results.Content(
                IngestPage.Render(health.Report(), device, Rejections(database, device, null), Conflicts(database, device, null), Quarantine(database, device, null)),
                "text/html; charset=utf-8"))
            .RequireRoles(Roles.Engineer).ExcludeFromDescription();
    }

    public static IReadOnlyList<RejectionView> Rejections(FleetDatabase database, string? device, int? limit)
    {
        using var connection = database.Open();
        var sql = device is null
            ? "SELECT id, dev, topic, reason, payload, received_at FROM rejections ORDER BY id DESC LIMIT @limit"
            : "SELECT id, dev, topic, reason, payload, received_at FROM rejections WHERE dev = @device ORDER BY id DESC LIMIT @limit";
        return connection.Query<(long id, string? dev, string topic, string reason, string payload, long at)>(sql, new { device, limit = Limit(limit) })
            .Select(r => new RejectionView(r.id, r.dev, r.topic, r.reason, r.payload, DateTimeOffset.FromUnixTimeMilliseconds(r.at).UtcDateTime))
            .ToList();
    }

    public static IReadOnlyList<ConflictView> Conflicts(FleetDatabase database, string? device, int? limit)
    {
        using var connection = database.Open();
        return connection.Query<(long id, string dev, long t, string data, long at)>(
                "SELECT id, dev, t, data, received_at FROM events WHERE type = @type AND (@device IS NULL OR dev = @device) ORDER BY id DESC LIMIT @limit",
                new { type = FleetEventTypes.SeqConflict, device, limit = Limit(limit) })
            .Select(c => new ConflictView(c.id, c.dev, DateTimeOffset.FromUnixTimeSeconds(c.t).UtcDateTime, JsonDocument.Parse(c.data).RootElement,
                DateTimeOffset.FromUnixTimeMilliseconds(c.at).UtcDateTime))
            .ToList();
    }

    public static IReadOnlyList<QuarantinedLineView> Quarantine(FleetDatabase database, string? device, int? limit)
    {
        using var connection = database.Open();
        return connection.Query<(long row_id, string dev, string line, string reason, long at)>(
                "SELECT row_id, dev, line, reason, at FROM influx_quarantine WHERE (@device IS NULL OR dev = @device) ORDER BY row_id DESC LIMIT @limit",
                new { device, limit = Limit(limit) })
            .Select(q => new QuarantinedLineView(q.row_id, q.dev, q.line, q.reason, DateTimeOffset.FromUnixTimeMilliseconds(q.at).UtcDateTime))
            .ToList();
    }

    private static int Limit(int? limit) => Math.Clamp(limit ?? 100, 1, MaxLimit);
}
