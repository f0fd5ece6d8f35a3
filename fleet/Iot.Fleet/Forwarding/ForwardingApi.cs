using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.Cluster;
using Iot.Fleet.People;
using Iot.Fleet.Registry;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Forwarding;

/// <summary>The forwarder's wiring, and its queue for engineers: `GET /api/hj212/queue` (paged; per platform and site: frames
/// waiting, sent without a 9014 yet, acknowledged, the oldest waiting minute, the last 9014, minutes waiting for devices,
/// and whether the connection is open). The engineers' ingest page shows the same.</summary>
public static class ForwardingApi
{
    public static IServiceCollection AddForwarding(this IServiceCollection services)
    {
        services.AddOptions<ForwardingOptions>().BindConfiguration("Hj212").ValidateOnStart();
        services.AddSingleton<IValidateOptions<ForwardingOptions>, ForwardingValidation>();
        services.AddSingleton<ReportingSites>();
        services.AddSingleton<PlatformQueue>();
        services.AddSingleton<PlatformForwarder>();
        services.AddLeaderOnly<PlatformForwarder>();
        return services;
    }

    public static void MapForwardingApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/hj212").WithTags("HJ 212").RequireAuthorization();
        // Paged like every list (Api/Paging), a site once per platform and MN.
        api.MapGet("/queue", (PageRequest page, PlatformQueue queue, PlatformForwarder forwarder) =>
                page.Of(Queue(queue, forwarder), s => $"{s.Platform}/{s.Site}/{s.Mn}"))
            .RequireRoles(Roles.Engineer);
        api.MapGet("/sites", (PageRequest page, ReportingSites reporting) => page.Of(reporting.Current.Values.OrderBy(s => s.Site, StringComparer.Ordinal).ToList(), s => s.Site))
            .RequireRoles(Roles.Engineer);
        // The MN a platform assigned to a site (and which platform): set here, audited, used by the forwarder at once.
        api.MapPut("/sites/{site}", (string site, ReportingSiteRequest body, HttpContext http, ReportingSites reporting) =>
            {
                var change = reporting.Set(site, body.Platform, body.Mn, AuditActor.Of(http.User).Name)
                    ?? throw new RefusalException($"no site {site}", StatusCodes.Status404NotFound);
                AuditScope.Of(http).Describe($"site:{site}", change.Before is { } b ? new { b.Platform, b.Mn, b.Source } : null,
                    new { change.After.Platform, change.After.Mn });
                return TypedResults.Ok(change.After);
            })
            .RequireRoles(Roles.Engineer).Audited("hj212.site.report");
    }

    /// <summary>The queue per site with its connection state (the API's and the page's one source).</summary>
    public static IReadOnlyList<SiteQueueView> Queue(PlatformQueue queue, PlatformForwarder forwarder)
    {
        var connections = forwarder.Connections;
        return queue.Depth().Select(d => new SiteQueueView(d.Platform, d.Site, d.Mn, connections.GetValueOrDefault(d.Site), d.Pending, d.Unacknowledged,
            d.Acknowledged, d.OldestPending, d.LastAcknowledged, d.OpenMinutes)).ToList();
    }

    /// <summary>Names each wrong Hj212 setting when the fleet starts.</summary>
    private sealed class ForwardingValidation : IValidateOptions<ForwardingOptions>
    {
        public ValidateOptionsResult Validate(string? name, ForwardingOptions options) =>
            options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}

/// <summary>Body of PUT /api/hj212/sites/{site}: the configured platform the site reports to and the MN it assigned.</summary>
public sealed record ReportingSiteRequest(string? Platform, string? Mn);

/// <summary>One reporting site's outbound queue: `pending` frames not yet acknowledged (of which `unacknowledged` were sent
/// at least once), `acknowledged`, the oldest pending minute (UTC), the last 9014, minutes still waiting for the site's
/// devices, and the connection.</summary>
public sealed record SiteQueueView(string Platform, string Site, string Mn, bool Connected, long Pending, long Unacknowledged, long Acknowledged,
    DateTime? OldestPending, DateTime? LastAcknowledged, long OpenMinutes);
