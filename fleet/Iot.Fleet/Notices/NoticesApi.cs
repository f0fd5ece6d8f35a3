using System.Text.Json.Serialization;
using Iot.Fleet.Api;
using Iot.Fleet.Glossary;
using System.Threading.RateLimiting;
using Iot.Fleet.Audit;
using Iot.Fleet.Leads;
using Iot.Fleet.Meters;
using Iot.Fleet.People;
using Iot.Fleet.Registry;
using Iot.Fleet.Rules;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Notices;

/// <summary>Body of POST /api/leads/{id}/notice/services: how (`direct`, `left`, `post`, `electronic`, `announcement`),
/// when and by whom the notice was served, and on whom.</summary>
public sealed record ServiceRequest(string? Method,
    DateTimeOffset? ServedAt,
    string? ServedBy,
    string? Recipient, string? Note);

/// <summary>Body of POST /api/sites/{id}/monitoring-point: the district and address published for the site.</summary>
public sealed record MonitoringPointRequest(string? District, string? Address);

/// <summary>The party's side (行政处罚法 art. 41): the printable notice of a lead, the record of its service, and the public
/// list of monitoring points (no sign-in; rate-limited per client and rendered at most once a minute).</summary>
public static class NoticesApi
{
    /// <summary>The rate-limit policy of the anonymous public pages.</summary>
    public const string PublicPolicy = "public";

    public static IServiceCollection AddNotices(this IServiceCollection services)
    {
        services.AddOptions<NoticeOptions>().BindConfiguration("Notice");
        services.AddSingleton<NoticeRecords>();
        services.AddSingleton<LeadReadings>();
        services.AddSingleton<PublicPoints>();
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Per client address (behind a proxy, the forwarded one: Api/HttpSecurity): a scraper or a flood gets 429s
            // and the page is served from memory anyway.
            o.AddPolicy(PublicPolicy, http => RateLimitPartition.GetFixedWindowLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = 30, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        });
        return services;
    }

    public static void MapNotices(this WebApplication app)
    {
        var api = app.MapGroup("/api").WithTags("Notices").RequireAuthorization();
        api.MapPost("/leads/{id:long}/notice/services", (long id, ServiceRequest body, HttpContext http, NoticeRecords notices) =>
            {
                var service = notices.Serve(id, body.Method, body.ServedAt, body.ServedBy, body.Recipient, body.Note, AuditScope.Of(http));
                return TypedResults.Created($"/api/leads/{id}/notice/services", service);
            })
            .RequireRoles(Roles.Serving).Audited("notice.serve");
        api.MapGet("/leads/{id:long}/notice/services", (long id, Api.PageRequest page, NoticeRecords notices) => page.Of(notices.Services(id), s => s.Id))
            .RequireRoles(Roles.LeadReading);
        api.MapPost("/sites/{id}/monitoring-point", (string id, MonitoringPointRequest body, HttpContext http, NoticeRecords notices, PublicPoints points) =>
                {
                    var point = notices.Publish(id, body.District, body.Address, AuditScope.Of(http));
                    points.Invalidate();
                    return TypedResults.Ok(point);
                })
            .RequireRoles(Roles.Publishing).Audited("site.publish");
        api.MapGet("/sites/{id}/monitoring-point", (string id, NoticeRecords notices) =>
            TypedResults.Ok(notices.Point(id) ?? throw new RefusalException($"site {id} is not published", StatusCodes.Status404NotFound)));

        // The notice: a page to print and hand over (inspectors and engineers, like the lead itself).
        app.MapGet("/leads/{id:long}/notice", (long id, LeadStore leads, SiteRegistry registry, PartyRegister parties, NoticeRecords notices, MeterRegister meters,
                LeadReadings readings, IOptions<NoticeOptions> options) =>
            {
                // The site and its party as the register had them when the breach began, not as edited since.
                if (leads.Get(id) is not { Queue: LeadQueue.Enforcement } lead || registry.GetSite(lead.Site, lead.Start) is not { } site)
                    throw RefusalException.NotFound("lead", id);
                var party = site.Party is { } code ? parties.At(code, lead.Start) : null;
                var html = NoticePage.Notice(lead, site, party, notices.Point(site.Id), meters.Behind(lead), readings.Of(lead), readings.BackgroundOf(lead),
                    registry.ProfileVersion(lead.Profile, lead.ProfileVersion), notices.Services(id), options.Value);
                return TypedResults.Content(html, "text/html; charset=utf-8");
            })
            .RequireAuthorization().RequireRoles(Roles.LeadReading).ExcludeFromDescription();

        // Public: no sign-in, only what the bureau publishes.
        app.MapGet("/public/monitoring-points", (PublicPoints points) => TypedResults.Content(points.Html(), "text/html; charset=utf-8"))
            .AllowAnonymous().RequireRateLimiting(PublicPolicy).ExcludeFromDescription();
        // Paged like every list; a device's meters are one row each, so device and kind name a row.
        app.MapGet("/api/public/monitoring-points", (Api.PageRequest page, PublicPoints points) => page.Of(points.Items(), p => $"{p.Device}/{p.Kinds}"))
            .AllowAnonymous().RequireRateLimiting(PublicPolicy).WithTags("Notices");
    }
}

/// <summary>The public list of monitoring points, rendered from the published points at most once a minute (or when one is
/// published), so anonymous readers cost the database nothing.</summary>
public sealed class PublicPoints(NoticeRecords notices, SiteRegistry registry, MeterRegister meters, IOptions<NoticeOptions> options, TimeProvider clock)
{
    private static readonly TimeSpan Fresh = TimeSpan.FromMinutes(1);
    private (DateTimeOffset At, IReadOnlyList<NoticePage.PublicPoint> Items, string Html)? _cache;
    private readonly Lock _lock = new();

    public void Invalidate()
    {
        lock (_lock) _cache = null;
    }

    public IReadOnlyList<NoticePage.PublicPoint> Items() => Current().Items;

    public string Html() => Current().Html;

    private (DateTimeOffset At, IReadOnlyList<NoticePage.PublicPoint> Items, string Html) Current()
    {
        lock (_lock)
        {
            var now = clock.GetUtcNow();
            if (_cache is { } cached && now - cached.At < Fresh) return cached;
            var items = Build();
            _cache = (now, items, NoticePage.PublicList(items, options.Value.Bureau));
            return _cache.Value;
        }
    }

    private List<NoticePage.PublicPoint> Build()
    {
        var items = new List<NoticePage.PublicPoint>();
        foreach (var point in notices.Points())
        {
            if (registry.GetSite(point.Site) is not { } site) continue;
            var zone = LocalTime.Zone(site.Timezone);
            var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), zone).DateTime);
            var kinds = string.Join("、", site.AllKinds.Select(BureauWords.KindZh));
            foreach (var device in registry.DevicesOf(site.Id))
            {
                var inService = meters.OfDevice(device).Where(m => m.RemovedAt is null).ToList();
                if (inService.Count == 0) items.Add(new(point.District, site.Name, point.Address, kinds, device, "—", null));
                foreach (var meter in inService)
                    items.Add(new(point.District, site.Name, point.Address, BureauWords.KindZh(meter.Kind), device, $"{meter.Make} {meter.Model}",
                        meter.Calibrations.Where(c => c.CalibratedOn <= today).Select(c => (DateOnly?)c.ValidUntil).Max()?.ToString("yyyy-MM-dd")));
            }
        }
        return items;
    }
}
