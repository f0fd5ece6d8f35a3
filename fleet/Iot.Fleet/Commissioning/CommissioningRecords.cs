using System.Text.Json;
using Dapper;
using Iot.Fleet.Photos;
using Iot.Fleet.Api;
using Iot.Fleet.Registry;
using Iot.Fleet.Storage;
using Iot.Contract.Http;

namespace Iot.Fleet.Commissioning;

/// <summary>How a commissioning record came to be: the installer's checklist on site, or an admin
/// recording the review of a gateway installed before this system (bulk migration).</summary>
public static class CommissioningMethod
{
    public const string Checklist = "checklist";
    public const string AdminRecord = "admin-record";
}

/// <summary>A signed-off commissioning: who, when, what the checks said. The site's data counts as
/// evidence from <see cref="ValidFrom"/> on.</summary>
public sealed record CommissioningRecord(long Id, string Site, string? Device, bool Passed, string Method, IReadOnlyList<CommissioningCheck> Results,
    string SignedBy, DateTimeOffset SignedAt, DateTimeOffset ValidFrom, string? Note, bool HasPhoto);

/// <summary>The commissioning records (the review art. 41 of the Administrative Penalty Law asks for).</summary>
public sealed class CommissioningRecords(FleetDatabase database, SiteRegistry registry, CommissioningChecklist checklist, TimeProvider clock)
{
    /// <summary>Signs off a gateway whose checklist passes now; throws with the failing checks otherwise.
    /// The photo is one <see cref="CommissioningPhoto.FromUpload"/> made.</summary>
    public CommissioningRecord SignOff(string deviceId, string signedBy, string? note, CommissioningPhoto? photo) =>
        SignOff(deviceId, signedBy, note, photo, null).Record;

    /// <summary>The sign-off with the caller's idempotency key (<see cref="IdempotencyKey"/>): sent again with its key by the
    /// same person for the same device, it answers the record the first made (Repeated), whatever the checklist says now.</summary>
    public (CommissioningRecord Record, bool Repeated) SignOff(string deviceId, string signedBy, string? note, CommissioningPhoto? photo, string? requestKey)
    {
        if (requestKey is not null && ByRequestKey(requestKey) is { } earlier)
            return earlier.Device == deviceId && earlier.SignedBy == signedBy ? (earlier, true) : throw IdempotencyKey.Reused(requestKey);
        var report = checklist.For(deviceId) ?? throw new RefusalException($"no device {deviceId}");
        var site = registry.View(deviceId)?.Site ?? throw new RefusalException($"device {deviceId} is not bound to a site");
        if (!report.Complete)
            throw new RefusalException("the checklist has not passed: " +
                string.Join("; ", report.Checks.Where(c => c.Status != CommissioningCheck.Pass).Select(c => $"{c.Name}: {c.Detail ?? c.Status}")), StatusCodes.Status409Conflict);
        var now = clock.GetUtcNow();
        try
        {
            return (Store(site, deviceId, passed: true, CommissioningMethod.Checklist, report.Checks, signedBy, now, note, photo, requestKey: requestKey), false);
        }
        // The same key twice at once: one insert wins the unique index, the other answers what it made.
        catch (System.Data.Common.DbException) when (requestKey is not null && ByRequestKey(requestKey) is { } won)
        {
            return won.Device == deviceId && won.SignedBy == signedBy ? (won, true) : throw IdempotencyKey.Reused(requestKey);
        }
    }

    private CommissioningRecord? ByRequestKey(string requestKey)
    {
        using var connection = database.Open();
        return connection.Query<Row>(
                "SELECT id, site, device, passed, method, results, signed_by, signed_at, valid_from, note, photo IS NOT NULL AS has_photo FROM commissioning WHERE request_key = @requestKey",
                new { requestKey })
            .Select(r => r.ToRecord())
            .FirstOrDefault();
    }

    /// <summary>Records a review done outside the checklist (gateways installed before this system).</summary>
    public CommissioningRecord RecordByAdmin(string siteId, bool passed, DateTimeOffset? validFrom, string signedBy, string? note)
    {
        if (registry.GetSite(siteId) is null) throw new RefusalException($"no site {siteId}");
        if (string.IsNullOrWhiteSpace(note)) throw new RefusalException("say in `note` what review this records (who checked the installation, when, how)");
        var now = clock.GetUtcNow();
        if (validFrom > now) throw new RefusalException("validFrom cannot be in the future");
        return Store(siteId, null, passed, CommissioningMethod.AdminRecord, [], signedBy, validFrom ?? now, note, null, now);
    }

    public IReadOnlyList<CommissioningRecord> OfSite(string siteId)
    {
        using var connection = database.Open();
        return connection.Query<Row>(
                "SELECT id, site, device, passed, method, results, signed_by, signed_at, valid_from, note, photo IS NOT NULL AS has_photo FROM commissioning WHERE site = @siteId ORDER BY id",
                new { siteId })
            .Select(r => r.ToRecord())
            .ToList();
    }

    public CommissioningPhoto? Photo(long id)
    {
        using var connection = database.Open();
        var row = connection.QueryFirstOrDefault<(string? photo_type, byte[]? photo)?>("SELECT photo_type, photo FROM commissioning WHERE id = @id", new { id });
        return row is { photo: { } bytes, photo_type: { } type } ? new CommissioningPhoto(type, bytes) : null;
    }

    private CommissioningRecord Store(string site, string? device, bool passed, string method, IReadOnlyList<CommissioningCheck> results, string signedBy,
        DateTimeOffset validFrom, string? note, CommissioningPhoto? photo, DateTimeOffset? signedAt = null, string? requestKey = null)
    {
        var at = signedAt ?? validFrom;
        using var connection = database.Open();
        var id = connection.ExecuteScalar<long>(
            """
            INSERT INTO commissioning (site, device, passed, method, results, signed_by, signed_at, valid_from, note, photo, photo_type, request_key)
            VALUES (@site, @device, @passed, @method, @results, @signedBy, @at, @from, @note, @bytes, @type, @requestKey) RETURNING id
            """,
            new { site, device, passed = passed ? 1 : 0, method, results = JsonSerializer.Serialize(results), signedBy, at = at.ToUnixTimeSeconds(),
                from = validFrom.ToUnixTimeSeconds(), note, bytes = photo?.Bytes, type = photo?.ContentType, requestKey });
        registry.Reload();
        return new CommissioningRecord(id, site, device, passed, method, results, signedBy, DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds()),
            DateTimeOffset.FromUnixTimeSeconds(validFrom.ToUnixTimeSeconds()), note, photo is not null);
    }

    // A class, not a positional record: Dapper binds properties by name with conversions, where a constructor
    // needs exact column types, and SQLite reports none for an expression column of an empty result.
    private sealed class Row
    {
        public long id { get; set; }
        public string site { get; set; } = "";
        public string? device { get; set; }
        public long passed { get; set; }
        public string method { get; set; } = "";
        public string results { get; set; } = "[]";
        public string signed_by { get; set; } = "";
        public long signed_at { get; set; }
        public long valid_from { get; set; }
        public string? note { get; set; }
        public long has_photo { get; set; }

        public CommissioningRecord ToRecord() => new(id, site, device, passed == 1, method,
            JsonSerializer.Deserialize<List<CommissioningCheck>>(results) ?? [], signed_by, DateTimeOffset.FromUnixTimeSeconds(signed_at),
            DateTimeOffset.FromUnixTimeSeconds(valid_from), note, has_photo == 1);
    }
}
