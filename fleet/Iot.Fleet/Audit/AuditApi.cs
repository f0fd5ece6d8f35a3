using Iot.Fleet.Api;
using Iot.Fleet.People;
using Iot.Fleet.Storage;

namespace Iot.Fleet.Audit;

/// <summary>GET /api/audit: the audit log, newest first and paged; GET /api/audit/verify: the hash chain recomputed from
/// the first entry, with its head and the first broken link; for engineers and admins.</summary>
public static class AuditApi
{
    public static void MapAuditApi(this IEndpointRouteBuilder app)
    {
        // Entries written before the chain existed (or by a fleet stopped between an entry and its link) are linked now.
        using (var connection = app.ServiceProvider.GetRequiredService<FleetDatabase>().Open())
        using (var tx = connection.BeginTransaction())
        {
            AuditChain.LinkPending(connection, tx);
            tx.Commit();
        }
        app.MapGet("/api/audit", (DateTimeOffset? since, string? actor, string? action, string? subject, PageRequest page, AuditLog log) =>
                log.Find(new AuditQuery(since, actor, action, subject), page))
            .WithTags("Audit")
            .RequireRoles(Roles.Auditing);
        app.MapGet("/api/audit/verify", (FleetDatabase database) =>
            {
                using var connection = database.Open();
                return AuditChain.Verify(connection);
            })
            .WithTags("Audit")
            .RequireRoles(Roles.Auditing);
    }
}
