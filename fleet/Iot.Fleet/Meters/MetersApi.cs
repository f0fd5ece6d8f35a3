using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.People;
using Iot.Fleet.Registry;
using Iot.Fleet.Rules;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Meters;

/// <summary>Body of POST /api/devices/{id}/meters.</summary>
public sealed record MeterRequest(SiteKind? Kind, string? Make, string? Model, string? Serial,
    string? TypeApproval,
    DateTimeOffset? InstalledFrom);

/// <summary>Body of POST /api/meters/{id}/calibrations; `scan` is a data URL of the certificate (PDF, JPEG or PNG).</summary>
public sealed record CalibrationRequest(string? Certificate, string? Institution, string? Method,
    DateOnly? CalibratedOn,
    DateOnly? ValidUntil,
    string? Scan);

/// <summary>Body of POST /api/sites/{id}/background: the measured background noise in dB(A), when and by whom.</summary>
public sealed record BackgroundRequest(double? Level,
    DateTimeOffset? MeasuredAt,
    string? MeasuredBy,
    string? Note);

/// <summary>The meter register and a site's background noise. Engineers (and admins) register meters and calibrations;
/// installers and engineers record background levels (at commissioning or later); anyone signed in reads.</summary>
public static class MetersApi
{
    public static IServiceCollection AddMeters(this IServiceCollection services)
    {
        services.AddOptions<EvidenceGradeOptions>().BindConfiguration("Evidence");
        services.AddSingleton<MeterRegister>();
        return services;
    }

    public static void MapMetersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Meters").RequireAuthorization();
        api.MapPost("/devices/{id}/meters", (string id, MeterRequest body, HttpContext http, MeterRegister meters) =>
            {
                // Enum.IsDefined: the JSON enum converter also takes numbers, which name no kind.
                if (body.Kind is not { } kind || !Enum.IsDefined(kind)) throw new RefusalException("kind is required: noise, dust or fume");
                var meter = meters.AddMeter(id, kind, body.Make, body.Model, body.Serial, body.TypeApproval, body.InstalledFrom, AuditScope.Of(http));
                return TypedResults.Created($"/api/meters/{meter.Id}", meter);
            })
            .RequireRoles(Roles.Metering).Audited("meter.create");
        api.MapGet("/devices/{id}/meters", (string id, PageRequest page, MeterRegister meters) => page.Of(meters.OfDevice(id), m => m.Id, descending: true));
        api.MapGet("/meters", (PageRequest page, MeterRegister meters) => page.Of(meters.InService(), m => m.Id));
        api.MapGet("/meters/{id:long}", (long id, MeterRegister meters) =>
            TypedResults.Ok(meters.Get(id) ?? throw RefusalException.NotFound("meter", id)));
        api.MapPost("/meters/{id:long}/calibrations", (long id, CalibrationRequest body, HttpContext http, MeterRegister meters) =>
            {
                var calibration = meters.AddCalibration(id, body.Certificate, body.Institution, body.Method, body.CalibratedOn, body.ValidUntil, body.Scan, AuditScope.Of(http));
                return TypedResults.Created($"/api/meters/{id}", calibration);
            })
            .RequireRoles(Roles.Metering).Audited("meter.calibration")
            .WithBodyLimit(MeterRegister.MaxScanBytes / 3 * 4 + 64 * 1024); // the scan as base64, and the fields
        api.MapGet("/calibrations/{id:long}/scan", (long id, MeterRegister meters) => meters.ScanOf(id) switch
        {
            null => throw new RefusalException("no scan", StatusCodes.Status404NotFound),
            // A PDF is never shown inline (it may carry script for a viewer); images were re-encoded by the fleet.
            { ContentType: "application/pdf" } scan => TypedResults.File(scan.Bytes, scan.ContentType, scan.FileName),
            { } scan => TypedResults.File(scan.Bytes, scan.ContentType),
        });
        api.MapPost("/sites/{id}/background", (string id, BackgroundRequest body, HttpContext http, MeterRegister meters) =>
            {
                var background = meters.AddBackground(id, body.Level, body.MeasuredAt, body.MeasuredBy, body.Note, AuditScope.Of(http));
                return TypedResults.Created($"/api/sites/{id}/background", background);
            })
            .RequireRoles(Roles.Installing).Audited("site.background");
        api.MapGet("/sites/{id}/background", (string id, PageRequest page, MeterRegister meters) => page.Of(meters.Backgrounds(id), b => b.Id));
    }
}
