using System.Text.Json.Serialization;
using Dapper;
using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.Registry;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;

namespace Iot.Fleet.Notices;

/// <summary>How a notice was served (送达方式), as the Administrative Penalty Law and the Civil Procedure Law name them.</summary>
public static class ServiceMethod
{
    public static readonly IReadOnlyDictionary<string, string> Words = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["direct"] = "直接送达",
        ["left"] = "留置送达",
        ["post"] = "邮寄送达",
        ["electronic"] = "电子送达",
        ["announcement"] = "公告送达",
    };
}

/// <summary>One service of a lead's notice on the party: how, when, by whom, to whom; who recorded it and when.</summary>
/// <remarks>Names pinned in snake_case: also the audit log's snapshot of it, hashed into the chain. The API renames them to camelCase (Api/ApiJson).</remarks>
public sealed record NoticeService(long Id, long Lead, string Method,
    [property: JsonPropertyName("served_at")] DateTimeOffset ServedAt,
    [property: JsonPropertyName("served_by")] string ServedBy, string? Recipient, string? Note,
    [property: JsonPropertyName("recorded_at")] DateTimeOffset RecordedAt,
    [property: JsonPropertyName("recorded_by")] string RecordedBy);

/// <summary>A published monitoring point (监测点位公示): the district and address the bureau makes public for a site.</summary>
/// <remarks>Names pinned in snake_case: also the audit log's snapshot of it, hashed into the chain. The API renames them to camelCase (Api/ApiJson).</remarks>
public sealed record MonitoringPoint(string Site, string District, string Address,
    [property: JsonPropertyName("published_at")] DateTimeOffset PublishedAt,
    [property: JsonPropertyName("published_by")] string PublishedBy);

/// <summary>Services of notices and the published monitoring points.</summary>
public sealed class NoticeRecords(FleetDatabase database, TimeProvider clock)
{
    public const int MaxText = 200;

    public NoticeService Serve(long lead, string? method, DateTimeOffset? servedAt, string? servedBy, string? recipient, string? note, AuditScope audit)
    {
        if (method is null || !ServiceMethod.Words.ContainsKey(method))
            throw new RefusalException($"method must be one of {string.Join(", ", ServiceMethod.Words.Keys)}");
        var now = clock.GetUtcNow();
        if (servedAt is not { } at) throw new RefusalException("servedAt is required");
        if (at > now.AddMinutes(10)) throw new RefusalException("servedAt is in the future");
        if (at.Year < 2000) throw new RefusalException("servedAt is before 2000");
        var by = FieldText.Optional(servedBy, "servedBy", MaxText) ?? audit.Actor.Name;
        recipient = FieldText.Optional(recipient, "recipient", MaxText);
        note = FieldText.Optional(note, "note", 1000, multiline: true);
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        if (connection.ExecuteScalar<long>("SELECT COUNT(*) FROM leads WHERE id = @lead AND queue = 'enforcement'", new { lead }, tx) == 0)
            throw new RefusalException($"no lead {lead}", StatusCodes.Status404NotFound);
        var id = connection.ExecuteScalar<long>(
            """
            INSERT INTO notice_services (lead, method, served_at, served_by, recipient, note, recorded_at, recorded_by)
            VALUES (@lead, @method, @at, @by, @recipient, @note, @now, @recorder) RETURNING id
            """, new { lead, method, at = at.ToUnixTimeSeconds(), by, recipient, note, now = now.ToUnixTimeMilliseconds(), recorder = audit.Actor.Name }, tx);
        var service = Services(connection, tx, lead).Single(s => s.Id == id);
        audit.Describe($"lead:{lead}", null, service).WriteIn(connection, tx);
        tx.Commit();
        return service;
    }

    public IReadOnlyList<NoticeService> Services(long lead)
    {
        using var connection = database.Open();
        return Services(connection, null, lead);
    }

    private static List<NoticeService> Services(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? tx, long lead) =>
        connection.Query<(long id, long lead, string method, long served_at, string served_by, string? recipient, string? note, long recorded_at, string recorded_by)>(
                "SELECT id, lead, method, served_at, served_by, recipient, note, recorded_at, recorded_by FROM notice_services WHERE lead = @lead ORDER BY id", new { lead }, tx)
            .Select(s => new NoticeService(s.id, s.lead, s.method, DateTimeOffset.FromUnixTimeSeconds(s.served_at), s.served_by, s.recipient, s.note,
                DateTimeOffset.FromUnixTimeMilliseconds(s.recorded_at), s.recorded_by)).ToList();

    /// <summary>Publishes a site as a monitoring point, or changes its published district and address.</summary>
    public MonitoringPoint Publish(string site, string? district, string? address, AuditScope audit)
    {
        district = FieldText.Required(district, "district", MaxText);
        address = FieldText.Required(address, "address", MaxText);
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        if (connection.ExecuteScalar<long>("SELECT COUNT(*) FROM sites WHERE id = @site", new { site }, tx) == 0) throw new RefusalException($"no site {site}", StatusCodes.Status404NotFound);
        var before = Point(connection, tx, site);
        connection.Execute(
            """
            INSERT INTO monitoring_points (site, district, address, published_at, published_by) VALUES (@site, @district, @address, @now, @by)
            ON CONFLICT (site) DO UPDATE SET district = excluded.district, address = excluded.address, published_at = excluded.published_at, published_by = excluded.published_by
            """, new { site, district, address, now = clock.GetUtcNow().ToUnixTimeMilliseconds(), by = audit.Actor.Name }, tx);
        var after = Point(connection, tx, site)!;
        audit.Describe($"site:{site}", before, after).WriteIn(connection, tx);
        tx.Commit();
        return after;
    }

    public MonitoringPoint? Point(string site)
    {
        using var connection = database.Open();
        return Point(connection, null, site);
    }

    /// <summary>Every published point, for the public list.</summary>
    public IReadOnlyList<MonitoringPoint> Points()
    {
        using var connection = database.Open();
        return Read(connection, null, "ORDER BY district, site");
    }

    private static MonitoringPoint? Point(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? tx, string site) =>
        Read(connection, tx, "WHERE site = @site", new { site }).SingleOrDefault();

    private static List<MonitoringPoint> Read(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? tx, string where, object? parameters = null) =>
        connection.Query<(string site, string district, string address, long published_at, string published_by)>(
                $"SELECT site, district, address, published_at, published_by FROM monitoring_points {where}", parameters, tx)
            .Select(p => new MonitoringPoint(p.site, p.district, p.address, DateTimeOffset.FromUnixTimeMilliseconds(p.published_at), p.published_by)).ToList();
}
