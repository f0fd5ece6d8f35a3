using Iot.Fleet.Audit;
using Iot.Fleet.People;

namespace Iot.Fleet.Evidence;

/// <summary>GET /api/leads/{id}/evidence.zip: the evidence bundle of an enforcement lead, for inspectors and admins.</summary>
public static class EvidenceApi
{
    public static void MapEvidenceApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/leads/{id:long}/evidence.zip", (long id, HttpContext http, EvidenceExport export) =>
                export.Export(id, AuditActor.Of(http.User).Name) is { } zip
                    ? Results.File(zip, "application/zip", $"lead-{id}-evidence.zip")
                    : Results.Problem($"no enforcement lead {id}", statusCode: StatusCodes.Status404NotFound))
            .WithTags("Evidence")
            .RequireRoles(Roles.LeadHandling);
    }
}
