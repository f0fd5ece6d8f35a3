using Iot.Fleet.Api;
using Iot.Fleet.Rules;

namespace Iot.Fleet.Registry;

/// <summary>Body of POST /api/sites.</summary>
public sealed record SiteRequest(string Id, string Name, SiteKind Kind, string? Timezone, string? Grid, string? Profile, List<BusinessHours>? BusinessHours);

/// <summary>Body of POST /api/devices.</summary>
public sealed record DeviceRequest(string Id, string? Site);

/// <summary>MQTT credentials of a device, shown once when it is created.</summary>
public sealed record DeviceCredentials(string Username, string Password);

/// <summary>Answer of POST /api/devices; `credentials` stays null until per-device credentials exist.</summary>
public sealed record DeviceCreated(string Id, string? Site, DeviceCredentials? Credentials);

/// <summary>Body of POST /api/sites/{id}/permits.</summary>
public sealed record PermitRequest(DateTimeOffset From, DateTimeOffset To);

/// <summary>GET /api/devices/{id}.</summary>
public sealed record DeviceView(string Id, string? Site, DateTime? LastSeen, string? Firmware, string Status, long? Buffered, long Rejected);

/// <summary>Sites, devices and night-work permits.</summary>
public static class RegistryApi
{
    public static void MapRegistryApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Registry");
        api.MapPost("/sites", (SiteRequest body, SiteRegistry registry) => Write(() =>
            {
                var site = registry.AddSite(new Site(body.Id, body.Name, body.Kind, body.Timezone ?? "Asia/Shanghai", body.Grid,
                    body.Profile ?? RuleProfile.Default.Id, body.BusinessHours ?? []));
                return Results.Created($"/api/sites/{site.Id}", site);
            }))
            .AddEndpointFilter<RequireAdmin>();
        api.MapGet("/sites", (SiteRegistry registry) => registry.Sites());
        api.MapGet("/sites/{id}", (string id, SiteRegistry registry) => registry.GetSite(id) is { } site ? Results.Ok(site) : NotFound("site", id));
        api.MapPost("/sites/{id}/permits", (string id, PermitRequest body, SiteRegistry registry) => Write(() =>
            {
                var permit = registry.AddPermit(id, body.From, body.To);
                return Results.Created($"/api/sites/{id}/permits/{permit.Id}", permit);
            }))
            .AddEndpointFilter<RequireAdmin>();
        api.MapGet("/sites/{id}/permits", (string id, SiteRegistry registry) => registry.Permits(id));
        api.MapPost("/devices", (DeviceRequest body, SiteRegistry registry) => Write(() =>
            {
                var device = registry.AddDevice(body.Id, body.Site);
                return Results.Created($"/api/devices/{device.Id}", new DeviceCreated(device.Id, device.Site, null));
            }))
            .AddEndpointFilter<RequireAdmin>();
        api.MapGet("/devices/{id}", (string id, SiteRegistry registry) => registry.View(id) is { } view ? Results.Ok(view) : NotFound("device", id));
    }

    private static IResult Write(Func<IResult> write)
    {
        try
        {
            return write();
        }
        catch (RegistryException e)
        {
            return Results.Problem(e.Message, statusCode: e.Conflict ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest);
        }
    }

    private static IResult NotFound(string what, string id) => Results.Problem($"no {what} {id}", statusCode: StatusCodes.Status404NotFound);
}
