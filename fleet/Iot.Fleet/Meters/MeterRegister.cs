using System.Data.Common;
using Dapper;
using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.Commissioning;
using Iot.Fleet.Leads;
using Iot.Fleet.Photos;
using Iot.Fleet.Registry;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Meters;

/// <summary>The meter register: which meters each gateway reads, their calibrations and certificate scans, and a site's
/// background noise; and the one place that decides a lead's evidence grade from them.</summary>
public sealed class MeterRegister(FleetDatabase database, SiteRegistry registry, IOptions<EvidenceGradeOptions> options, TimeProvider clock)
{
    /// <summary>Largest certificate scan taken (as for commissioning photos).</summary>
    public const int MaxScanBytes = CommissioningPhoto.MaxUploadBytes;

    /// <summary>Longest text field taken (make, model, serial, certificate number, institution).</summary>
    public const int MaxText = 200;

    public Meter AddMeter(string device, SiteKind kind, string? make, string? model, string? serial, string? typeApproval, DateTimeOffset? installedFrom,
        AuditScope audit)
    {
        make = FieldText.Required(make, "make", MaxText);
        model = FieldText.Required(model, "model", MaxText);
        serial = FieldText.Required(serial, "serial", MaxText);
        typeApproval = FieldText.Optional(typeApproval, "typeApproval", MaxText);
        var now = clock.GetUtcNow();
        var from = installedFrom ?? now;
        if (from > now.AddMinutes(10)) throw new RefusalException("installedFrom is in the future");
        if (from.Year < 2000) throw new RefusalException("installedFrom is before 2000");
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        if (connection.ExecuteScalar<long>("SELECT COUNT(*) FROM devices WHERE id = @device", new { device }, tx) == 0)
            throw new RefusalException($"no device {device}", StatusCodes.Status404NotFound);
        // A gateway reads one meter of a kind at a time: a new one replaces the one before from its own start.
        connection.Execute("UPDATE meters SET removed_at = @from WHERE device = @device AND kind = @kind AND removed_at IS NULL",
            new { device, kind = Kind(kind), from = from.ToUnixTimeSeconds() }, tx);
        var id = connection.ExecuteScalar<long>(
            """
            INSERT INTO meters (device, kind, make, model, serial, type_approval, installed_from, created_at, created_by)
            VALUES (@device, @kind, @make, @model, @serial, @typeApproval, @from, @now, @by) RETURNING id
            """,
            new { device, kind = Kind(kind), make, model, serial, typeApproval,
                from = from.ToUnixTimeSeconds(), now = now.ToUnixTimeMilliseconds(), by = audit.Actor.Name }, tx);
        var meter = Read(connection, tx, "WHERE m.id = @id", new { id }).Single();
        audit.Describe($"meter:{id}", null, meter).WriteIn(connection, tx);
        tx.Commit();
        return meter;
    }

    public Calibration AddCalibration(long meter, string? certificate, string? institution, string? method, DateOnly? calibratedOn, DateOnly? validUntil,
        string? scan, AuditScope audit)
    {
        certificate = FieldText.Required(certificate, "certificate", MaxText);
        institution = FieldText.Required(institution, "institution", MaxText);
        method = FieldText.Optional(method, "method", MaxText);
        if (calibratedOn is not { } on) throw new RefusalException("calibratedOn is required (yyyy-MM-dd)");
        if (validUntil is not { } until) throw new RefusalException("validUntil is required (yyyy-MM-dd)");
        if (until < on) throw new RefusalException("validUntil is before calibratedOn");
        // JJG 188 gives a sound level meter one year; no certificate runs for more than a few.
        if (until > on.AddYears(3)) throw new RefusalException("validUntil is more than 3 years after calibratedOn");
        if (on > DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime.AddDays(1))) throw new RefusalException("calibratedOn is in the future");
        if (on.Year < 2000) throw new RefusalException("calibratedOn is before 2000");
        var file = Scan(scan);
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        var kind = connection.ExecuteScalar<string?>("SELECT kind FROM meters WHERE id = @meter", new { meter }, tx)
            ?? throw new RefusalException($"no meter {meter}", StatusCodes.Status404NotFound);
        var id = connection.ExecuteScalar<long>(
            """
            INSERT INTO calibrations (meter, certificate, institution, method, calibrated_on, valid_until, scan_type, scan, created_at, created_by)
            VALUES (@meter, @certificate, @institution, @method, @on, @until, @type, @bytes, @now, @by) RETURNING id
            """,
            new { meter, certificate, institution, method = method ?? DefaultMethod(kind),
                on = on.ToString("yyyy-MM-dd"), until = until.ToString("yyyy-MM-dd"), type = file?.ContentType, bytes = file?.Bytes,
                now = clock.GetUtcNow().ToUnixTimeMilliseconds(), by = audit.Actor.Name }, tx);
        var calibration = Calibrations(connection, tx, [meter]).Single(c => c.Id == id);
        audit.Describe($"meter:{meter}", null, calibration).WriteIn(connection, tx);
        tx.Commit();
        return calibration;
    }

    /// <summary>How a meter of the kind is calibrated when the record does not say: JJG 188 verification for sound level
    /// meters, a comparison test against a reference method for dust and fume monitors.</summary>
    public static string DefaultMethod(string kind) => kind == "noise" ? "JJG 188 声级计检定" : "比对测试 comparison test";

    /// <summary>A scan as a data URL: a PDF (kept as is, served only as a download) or a JPEG/PNG (re-encoded like a
    /// commissioning photo); null when there is none.</summary>
    private static (string ContentType, byte[] Bytes)? Scan(string? url)
    {
        if (string.IsNullOrEmpty(url)) return null;
        if (url.Length > MaxScanBytes / 3 * 4 + 100) throw new RefusalException($"the scan is larger than {MaxScanBytes / 1024 / 1024} MiB");
        var comma = url.IndexOf(',');
        if (!url.StartsWith("data:", StringComparison.Ordinal) || comma < 0 || !url[..comma].EndsWith(";base64", StringComparison.Ordinal))
            throw new RefusalException("scan must be a data URL: data:application/pdf;base64,… (or a JPEG or PNG)");
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(url[(comma + 1)..]);
        }
        catch (FormatException)
        {
            throw new RefusalException("scan is not valid base64");
        }
        if (bytes.AsSpan().StartsWith("%PDF-"u8)) return ("application/pdf", bytes);
        var image = CommissioningPhoto.FromUpload(bytes);
        return (image.ContentType, image.Bytes);
    }

    /// <summary>The meters of a device, newest first, with their calibrations.</summary>
    public IReadOnlyList<Meter> OfDevice(string device)
    {
        using var connection = database.Open();
        return Read(connection, null, "WHERE m.device = @device ORDER BY m.installed_from DESC, m.id DESC", new { device });
    }

    /// <summary>Every meter in service (not replaced), by id: the register's overview for the sites page.</summary>
    public IReadOnlyList<Meter> InService()
    {
        using var connection = database.Open();
        return Read(connection, null, "WHERE m.removed_at IS NULL ORDER BY m.id", new { });
    }

    public Meter? Get(long id)
    {
        using var connection = database.Open();
        return Read(connection, null, "WHERE m.id = @id", new { id }).SingleOrDefault();
    }

    /// <summary>A calibration's scan, or null.</summary>
    public CertificateScan? ScanOf(long calibration)
    {
        using var connection = database.Open();
        return connection.QueryFirstOrDefault<(long id, string certificate, string? scan_type, byte[]? scan)?>(
            "SELECT id, certificate, scan_type, scan FROM calibrations WHERE id = @calibration", new { calibration }) is { scan_type: { } type, scan: { } bytes } row
            ? new CertificateScan(row.id, row.certificate, type, bytes)
            : null;
    }

    /// <summary>For the evidence bundle: the scans of the certificates that covered the lead's windows.</summary>
    public IReadOnlyList<CertificateScan> CertificatesOf(Lead lead) =>
        [.. Behind(lead).Select(m => m.CalibrationId).OfType<long>().Distinct().Select(ScanOf).OfType<CertificateScan>()];

    /// <summary>The meters the lead's windows rest on (per device, the meter of the rule's kind in service then) with the
    /// calibration that covered all the windows, if any.</summary>
    public IReadOnlyList<MeterEvidence> Behind(Lead lead)
    {
        using var connection = database.Open();
        return Behind(connection, null, lead);
    }

    /// <summary>The lead's evidence grade (<see cref="EvidenceGrade"/>), or null when calibration is not required or the
    /// lead is not an enforcement lead. Read inside the transaction that saves the lead.</summary>
    public string? GradeOf(DbConnection connection, DbTransaction? tx, Lead lead)
    {
        if (!options.Value.RequireCalibration || lead.Queue != LeadQueue.Enforcement || KindOf(lead) is null) return null;
        var behind = Behind(connection, tx, lead);
        return lead.Devices.Count > 0 && lead.Devices.All(d => behind.Any(m => m.Device == d && m.CalibrationId is not null))
            ? EvidenceGrade.Calibrated
            : EvidenceGrade.Uncalibrated;
    }

    private static SiteKind? KindOf(Lead lead) => Rule.All.FirstOrDefault(r => r.Id == lead.Rule)?.Kind;

    private List<MeterEvidence> Behind(DbConnection connection, DbTransaction? tx, Lead lead)
    {
        if (KindOf(lead) is not { } kind || lead.Devices.Count == 0) return [];
        var from = lead.StartMinute * 60;
        var to = (lead.EndMinute + Math.Max(1, lead.WindowMinutes)) * 60;
        var zone = connection.ExecuteScalar<string?>("SELECT timezone FROM sites WHERE id = @Site", new { lead.Site }, tx) is { } tz
            && TimeZoneInfo.TryFindSystemTimeZoneById(tz, out var found) ? found : TimeZoneInfo.Utc;
        var first = LocalDate(from, zone);
        var last = LocalDate(to - 1, zone);
        var meters = Read(connection, tx, "WHERE m.device IN @devices AND m.kind = @kind AND m.installed_from <= @from AND (m.removed_at IS NULL OR m.removed_at >= @to)",
            new { devices = lead.Devices.ToArray(), kind = Kind(kind), from, to });
        return meters.Select(m =>
        {
            // Of several certificates that cover the windows, the latest issued names the lead's.
            var covering = m.Calibrations.Where(c => c.Covers(first, last)).MaxBy(c => (c.CalibratedOn, c.Id));
            return new MeterEvidence(m.Device, m.Kind, m.Make, m.Model, m.Serial, m.TypeApproval, covering?.Certificate, covering?.Institution, covering?.Method,
                covering?.ValidUntil, covering?.Id);
        }).OrderBy(m => m.Device, StringComparer.Ordinal).ToList();
    }

    private static DateOnly LocalDate(long unixSeconds, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeSeconds(unixSeconds), zone).DateTime);

    /// <summary>Certificates whose last valid day is within <paramref name="days"/> of today (UTC date) and not past, not
    /// warned about yet, with their meter.</summary>
    internal IReadOnlyList<(Calibration Calibration, Meter Meter, string? Site)> ExpiringUnwarned(int days)
    {
        using var connection = database.Open();
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var ids = connection.Query<long>(
            """
            SELECT c.id FROM calibrations c JOIN meters m ON m.id = c.meter
            WHERE c.expiry_warned_at IS NULL AND m.removed_at IS NULL AND c.valid_until >= @today AND c.valid_until <= @horizon
              AND NOT EXISTS (SELECT 1 FROM calibrations later WHERE later.meter = c.meter AND later.valid_until > c.valid_until)
            """, new { today = today.ToString("yyyy-MM-dd"), horizon = today.AddDays(days).ToString("yyyy-MM-dd") }).ToHashSet();
        if (ids.Count == 0) return [];
        var meters = Read(connection, null, "WHERE m.id IN (SELECT meter FROM calibrations WHERE id IN @ids)", new { ids });
        var sites = connection.Query<(string id, string? site)>("SELECT id, site FROM devices WHERE id IN @devices", new { devices = meters.Select(m => m.Device).Distinct() })
            .ToDictionary(d => d.id, d => d.site);
        return [.. meters.SelectMany(m => m.Calibrations.Where(c => ids.Contains(c.Id)).Select(c => (c, m, sites.GetValueOrDefault(m.Device))))];
    }

    /// <summary>Marks a certificate as warned about; false when it already was (the warning goes out once).</summary>
    internal bool MarkWarned(long calibration)
    {
        using var connection = database.Open();
        return connection.Execute("UPDATE calibrations SET expiry_warned_at = @now WHERE id = @calibration AND expiry_warned_at IS NULL",
            new { calibration, now = clock.GetUtcNow().ToUnixTimeMilliseconds() }) == 1;
    }

    /// <summary>Records a site's measured background noise; it corrects the site's noise windows from <paramref name="measuredAt"/> on.</summary>
    public BackgroundLevel AddBackground(string site, double? level, DateTimeOffset? measuredAt, string? measuredBy, string? note, AuditScope audit)
    {
        if (level is not { } dB || !double.IsFinite(dB) || dB is < 20 or > 120) throw new RefusalException("level must be a background level in dB(A), 20…120");
        measuredBy = FieldText.Required(measuredBy, "measuredBy", MaxText);
        note = FieldText.Optional(note, "note", 1000, multiline: true);
        var now = clock.GetUtcNow();
        var at = measuredAt ?? now;
        if (at > now.AddMinutes(10)) throw new RefusalException("measuredAt is in the future");
        if (at.Year < 2000) throw new RefusalException("measuredAt is before 2000");
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        if (connection.ExecuteScalar<long>("SELECT COUNT(*) FROM sites WHERE id = @site", new { site }, tx) == 0)
            throw new RefusalException($"no site {site}", StatusCodes.Status404NotFound);
        var id = connection.ExecuteScalar<long>(
            """
            INSERT INTO site_background (site, level, measured_at, measured_by, note, created_at, created_by)
            VALUES (@site, @dB, @at, @measuredBy, @note, @now, @by) RETURNING id
            """, new { site, dB, at = at.ToUnixTimeSeconds(), measuredBy, note, now = now.ToUnixTimeMilliseconds(), by = audit.Actor.Name }, tx);
        var background = new BackgroundLevel(id, site, dB, DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds()), measuredBy, note);
        audit.Describe($"site:{site}", null, background).WriteIn(connection, tx);
        tx.Commit();
        registry.Reload();
        return background;
    }

    /// <summary>A site's background measurements, oldest first.</summary>
    public IReadOnlyList<BackgroundLevel> Backgrounds(string site)
    {
        using var connection = database.Open();
        return connection.Query<(long id, string site, double level, long measured_at, string measured_by, string? note)>(
                "SELECT id, site, level, measured_at, measured_by, note FROM site_background WHERE site = @site ORDER BY measured_at, id", new { site })
            .Select(b => new BackgroundLevel(b.id, b.site, b.level, DateTimeOffset.FromUnixTimeSeconds(b.measured_at), b.measured_by, b.note)).ToList();
    }

    private static string Kind(SiteKind kind) => kind.ToString().ToLowerInvariant();

    private static List<Meter> Read(DbConnection connection, DbTransaction? tx, string where, object parameters)
    {
        var rows = connection.Query<(long id, string device, string kind, string make, string model, string serial, string? type_approval, long installed_from, long? removed_at)>(
            $"SELECT m.id, m.device, m.kind, m.make, m.model, m.serial, m.type_approval, m.installed_from, m.removed_at FROM meters m {where}", parameters, tx).ToList();
        if (rows.Count == 0) return [];
        var calibrations = Calibrations(connection, tx, rows.Select(r => r.id)).ToLookup(c => c.Meter);
        return rows.Select(r => new Meter(r.id, r.device, Enum.Parse<SiteKind>(r.kind, ignoreCase: true), r.make, r.model, r.serial, r.type_approval,
            DateTimeOffset.FromUnixTimeSeconds(r.installed_from), r.removed_at is { } removed ? DateTimeOffset.FromUnixTimeSeconds(removed) : null,
            [.. calibrations[r.id]])).ToList();
    }

    private static IEnumerable<Calibration> Calibrations(DbConnection connection, DbTransaction? tx, IEnumerable<long> meters) =>
        connection.Query<(long id, long meter, string certificate, string institution, string method, string calibrated_on, string valid_until, long has_scan, string created_by)>(
                """
                SELECT id, meter, certificate, institution, method, calibrated_on, valid_until, scan IS NOT NULL AS has_scan, created_by
                FROM calibrations WHERE meter IN @meters ORDER BY calibrated_on, id
                """, new { meters }, tx)
            .Select(c => new Calibration(c.id, c.meter, c.certificate, c.institution, c.method, DateOnly.ParseExact(c.calibrated_on, "yyyy-MM-dd"),
                DateOnly.ParseExact(c.valid_until, "yyyy-MM-dd"), c.has_scan != 0, c.created_by));
}
