using Iot.Fleet.Api;
using Iot.Fleet.Leads;
using Iot.Fleet.People;

namespace Iot.Fleet.Notifications;

/// <summary>GET /api/notifications?status=pending|delivered|failing: the outbox, newest first. It carries leads, so it is
/// for those who read leads.</summary>
public static class NotificationsApi
{
    public static void MapNotificationsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/notifications", (string? status, PageRequest page, NotificationOutbox outbox) =>
                status is null or DeliveryStatus.Pending or DeliveryStatus.Delivered or DeliveryStatus.Failing
                    ? TypedResults.Ok(outbox.Find(status, page))
                    : throw new RefusalException($"status must be {DeliveryStatus.Pending}, {DeliveryStatus.Delivered} or {DeliveryStatus.Failing}"))
            .WithTags("Notifications")
            .RequireRoles(Roles.LeadReading);
    }
}
