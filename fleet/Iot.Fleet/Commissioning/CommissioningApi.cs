using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.People;
using Iot.Fleet.Photos;
using Iot.Fleet.Registry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Iot.Fleet.Commissioning;

/// <summary>Body of POST /api/devices/{id}/commissioning: the installer's sign-off; `photo` is a data URL.</summary>
public sealed record SignOffRequest(string? Note, string? Photo);

/// <summary>Body of POST /api/sites/{id}/commissioning: an admin records a review done outside the checklist.</summary>
public sealed record AdminCommissioningRequest(
    bool Passed,
    string? Note,
    DateTimeOffset? ValidFrom);

/// <summary>The live checklist, the installer's sign-off and the records of a site.</summary>
public static class CommissioningApi
{
    public static void MapCommissioningApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Commissioning").RequireAuthorization();
        api.MapGet("/devices/{id}/commissioning", (string id, CommissioningChecklist checklist) =>
            TypedResults.Ok(checklist.For(id) ?? throw RefusalException.NotFound("device", id)));
        api.MapPost("/devices/{id}/commissioning", Results<Created<CommissioningRecord>, Ok<CommissioningRecord>> (string id, SignOffRequest body, HttpContext http,
                CommissioningRecords records) =>
            {
                var (record, repeated) = records.SignOff(id, AuditActor.Of(http.User).Name, body.Note, CommissioningPhoto.FromDataUrl(body.Photo), IdempotencyKey.Of(http));
                if (repeated)
                {
                    // The phone lost the first answer and sent the sign-off again: the same record, no second one.
                    AuditScope.Of(http).Describe($"site:{record.Site}", null, record, $"repeated with its {IdempotencyKey.Header}; nothing changed");
                    return TypedResults.Ok(record);
                }
                AuditScope.Of(http).Describe($"site:{record.Site}", null, record);
                return TypedResults.Created($"/api/sites/{record.Site}/commissioning", record);
            })
            .RequireRoles(Roles.Installing).Audited("commissioning.sign_off")
            .WithBodyLimit(CommissioningPhoto.MaxUploadBytes / 3 * 4 + 64 * 1024); // the photo as base64, and the note
        api.MapPost("/sites/{id}/commissioning", (string id, AdminCommissioningRequest body, HttpContext http, CommissioningRecords records) =>
            {
                var record = records.RecordByAdmin(id, body.Passed, body.ValidFrom, AuditActor.Of(http.User).Name, body.Note);
                // Marked as what it is: a review recorded by an admin, not a checklist run on site.
                AuditScope.Of(http).Describe($"site:{id}", null, record, "admin record of a review done outside the checklist (bulk migration)");
                return TypedResults.Created($"/api/sites/{id}/commissioning", record);
            })
            .RequireRoles(Roles.Admin).Audited("commissioning.admin_record");
        api.MapGet("/sites/{id}/commissioning", (string id, PageRequest page, CommissioningRecords records) => page.Of(records.OfSite(id), r => r.Id));
        api.MapGet("/commissioning/{id:long}/photo", (long id, CommissioningRecords records) => records.Photo(id) switch
        {
            null => throw new RefusalException("no photo", StatusCodes.Status404NotFound),
            // Shown by the browser only when it is what it says (every photo since re-encoding is); anything an
            // older fleet stored unchecked is a download, never a page (nosniff keeps the browser from guessing).
            { } photo when photo.IsImage => TypedResults.File(photo.Bytes, photo.ContentType),
            { } photo => TypedResults.File(photo.Bytes, "application/octet-stream", $"commissioning-{id}-photo.bin"),
        });
    }
}
