using Iot.Fleet.Api;
using Iot.Fleet.People;

namespace Iot.Fleet.Audit;

/// <summary>GET /api/audit: the audit log, newest first and paged, for engineers and admins.</summary>
public static class AuditApi
{
    public static void MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/audit", (DateTimeOffset? since, string? actor, string? action, string? subject, PageRequest page, AuditLog log) =>
                log.Find(new AuditQuery(since, actor, action, subject), page))
            .WithTags("Audit")
            .RequireRoles(Roles.Auditing);
    }
}
