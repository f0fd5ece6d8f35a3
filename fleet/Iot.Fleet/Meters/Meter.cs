using System.Text.Json.Serialization;
using Iot.Fleet.Rules;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Meters;

/// <summary>A measuring instrument a gateway reads (a sound level meter, a dust or fume monitor): what the evidence rests on.
/// `type_approval`: its pattern approval (型式批准 / CMC number); `installed_from`/`removed_at`: when it served the gateway.</summary>
/// <remarks>Names pinned in snake_case: also meters.json of the signed evidence bundle. The API renames them to camelCase (Api/ApiJson).</remarks>
public sealed record Meter(long Id, string Device, SiteKind Kind, string Make, string Model, string Serial,
    [property: JsonPropertyName("type_approval")] string? TypeApproval,
    [property: JsonPropertyName("installed_from")] DateTimeOffset InstalledFrom,
    [property: JsonPropertyName("removed_at")] DateTimeOffset? RemovedAt,
    IReadOnlyList<Calibration> Calibrations);

/// <summary>One calibration of a meter (检定/校准): the certificate (检定证书) number, the institution, the method (JJG 188 for
/// sound level meters, a comparison test for dust and fume monitors), and the days it covers, in the site's local dates.</summary>
/// <remarks>Names pinned in snake_case: also meters.json of the signed evidence bundle. The API renames them to camelCase (Api/ApiJson).</remarks>
public sealed record Calibration(long Id, long Meter, string Certificate, string Institution, string Method,
    [property: JsonPropertyName("calibrated_on")] DateOnly CalibratedOn,
    [property: JsonPropertyName("valid_until")] DateOnly ValidUntil,
    [property: JsonPropertyName("has_scan")] bool HasScan,
    [property: JsonPropertyName("recorded_by")] string RecordedBy)
{
    /// <summary>True when the certificate covers every local day from <paramref name="first"/> to <paramref name="last"/>.</summary>
    public bool Covers(DateOnly first, DateOnly last) => CalibratedOn <= first && last <= ValidUntil;
}

/// <summary>The meter a lead rests on, as the lead's API, evidence page and notice name it, with the certificate that
/// covered its windows (null fields when none did).</summary>
/// <remarks>Names pinned in snake_case: also meters.json of the signed evidence bundle. The API renames them to camelCase (Api/ApiJson).</remarks>
public sealed record MeterEvidence(string Device, SiteKind Kind, string Make, string Model, string Serial,
    [property: JsonPropertyName("type_approval")] string? TypeApproval,
    string? Certificate, string? Institution, string? Method,
    [property: JsonPropertyName("valid_until")] DateOnly? ValidUntil,
    [property: JsonPropertyName("calibration")] long? CalibrationId);

/// <summary>A certificate's scan for the evidence bundle (PDF, JPEG or PNG as stored).</summary>
public sealed record CertificateScan(long Calibration, string Certificate, string ContentType, byte[] Bytes)
{
    /// <summary>A file name for the bundle: the calibration id and the type's extension (the certificate number is the
    /// issuer's text, not a safe file name).</summary>
    public string FileName => $"calibration-{Calibration}" + ContentType switch { "application/pdf" => ".pdf", "image/png" => ".png", _ => ".jpg" };
}

/// <summary>A lead's evidence grade (`evidence` on the lead): whether a valid calibration covered every meter its windows
/// rest on. Null when the deployment does not require calibration (<see cref="EvidenceGradeOptions.RequireCalibration"/>).</summary>
public static class EvidenceGrade
{
    public const string Calibrated = "calibrated";
    /// <summary>A meter without a valid calibration at the time of the windows (none registered, expired, or not yet
    /// calibrated): the lead is kept and shown, flagged, and its notifications say it is not evidence-grade.</summary>
    public const string Uncalibrated = "uncalibrated";
}

/// <summary>Section "Evidence" (what this part reads of it).</summary>
public sealed class EvidenceGradeOptions
{
    /// <summary>Leads from meters without a valid calibration at the time of their windows are flagged `uncalibrated`
    /// and announced as not evidence-grade (行政处罚法 art. 41: devices must be accurate and kept so).</summary>
    public bool RequireCalibration { get; set; } = true;

    /// <summary>Days before a certificate's last valid day that engineers are warned (once per certificate).</summary>
    public int CalibrationWarningDays { get; set; } = 30;
}
