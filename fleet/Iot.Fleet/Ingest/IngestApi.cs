using System.Text.Json;
using Dapper;
using Iot.Fleet.Api;
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
/// (dev, seq) conflicts and the lines InfluxDB refused. Newest first, paged (Api/Paging).</summary>
public static class IngestApi
{
    public static void MapIngestApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Ingest").RequireRoles(Roles.Engineer);
        api.MapGet("/rejections", (string? device, PageRequest page, FleetDatabase database) => Rejections(database, device, page));
        api.MapGet("/devices/{id}/rejections", (string id, PageRequest page, FleetDatabase database) => Rejections(database, id, page));
        api.MapGet("/conflicts", (string? device, PageRequest page, FleetDatabase database) => Conflicts(database, device, page));
        api.MapGet("/influx/quarantine", (string? device, PageRequest page, FleetDatabase database) => Quarantine(database, device, page));
        app.MapGet("/engineer/ingest", (string? device, FleetDatabase database, Health.FleetHealth health, Forwarding.PlatformQueue queue,
                Forwarding.PlatformForwarder forwarder) => TypedResults.Content(
                IngestPage.Render(health.Report(), device, Rejections(database, device, new PageRequest()).Items, Conflicts(database, device, new PageRequest()).Items,
                    Quarantine(database, device, new PageRequest()).Items, Forwarding.ForwardingApi.Queue(queue, forwarder)),
                "text/html; charset=utf-8"))
            .RequireRoles(Roles.Engineer).ExcludeFromDescription();
    }

    public static Page<RejectionView> Rejections(FleetDatabase database, string? device, PageRequest page) =>
        ById<(long id, string? dev, string topic, string reason, string payload, long at), RejectionView>(database, page,
            "SELECT {0} FROM rejections WHERE (@device IS NULL OR dev = @device)", "id, dev, topic, reason, payload, received_at", "id", new { device }, r => r.id,
            r => new RejectionView(r.id, r.dev, r.topic, r.reason, r.payload, DateTimeOffset.FromUnixTimeMilliseconds(r.at).UtcDateTime));

    public static Page<ConflictView> Conflicts(FleetDatabase database, string? device, PageRequest page) =>
        ById<(long id, string dev, long t, string data, long at), ConflictView>(database, page,
            "SELECT {0} FROM events WHERE type = @type AND (@device IS NULL OR dev = @device)", "id, dev, t, data, received_at", "id",
            new { type = FleetEventTypes.SeqConflict, device }, c => c.id,
            c => new ConflictView(c.id, c.dev, DateTimeOffset.FromUnixTimeSeconds(c.t).UtcDateTime, JsonDocument.Parse(c.data).RootElement,
                DateTimeOffset.FromUnixTimeMilliseconds(c.at).UtcDateTime));

    public static Page<QuarantinedLineView> Quarantine(FleetDatabase database, string? device, PageRequest page) =>
        ById<(long row_id, string dev, string line, string reason, long at), QuarantinedLineView>(database, page,
            "SELECT {0} FROM influx_quarantine WHERE (@device IS NULL OR dev = @device)", "row_id, dev, line, reason, at", "row_id", new { device }, q => q.row_id,
            q => new QuarantinedLineView(q.row_id, q.dev, q.line, q.reason, DateTimeOffset.FromUnixTimeMilliseconds(q.at).UtcDateTime));

    /// <summary>A page of one of the set-aside tables, newest first by its id; <paramref name="select"/> has {0} for the columns.</summary>
    private static Page<TView> ById<TRow, TView>(FleetDatabase database, PageRequest page, string select, string columns, string id, object filters,
        Func<TRow, long> idOf, Func<TRow, TView> view)
    {
        using var connection = database.Open();
        var parameters = new DynamicParameters(filters);
        parameters.Add("limit", page.Limit + 1);
        if (!page.First) parameters.Add("after", page.Long(0));
        var total = connection.ExecuteScalar<long>(string.Format(select, "COUNT(*)"), parameters);
        var rows = connection.Query<TRow>(
            string.Format(select, columns) + (page.First ? "" : $" AND {id} < @after") + $" ORDER BY {id} DESC LIMIT @limit", parameters).ToList();
        return page.Of(rows, total, r => PageRequest.Cursor(idOf(r)), view);
    }
}
