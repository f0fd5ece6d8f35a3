using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.People;
using Iot.Fleet.Rules;
using Iot.Fleet.Broker;
using Iot.Fleet.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Iot.Fleet.Registry;

/// <summary>Body of POST /api/sites: `kind` for a site of one kind, or `kinds` (e.g. ["noise","dust"]) for several; the register
/// fields (address, liable `party` by its unified social credit code, on-site `contact` and `phone`, `cookingHeads` of a
/// kitchen, the construction `project`) are optional.</summary>
public sealed record SiteRequest(string Id, string Name, SiteKind? Kind, string? Timezone, string? Grid, string? Profile, List<BusinessHours>? BusinessHours,
    double? Lat = null, double? Lon = null, List<SiteKind>? Kinds = null, string? Address = null, string? Party = null, string? Contact = null,
    string? Phone = null, int? CookingHeads = null, string? Project = null)
{
    public Site ToSite()
    {
        var kinds = ResolvedKinds();
        return new Site(Id, Name, kinds[0], Timezone ?? "Asia/Shanghai", Grid, Profile ?? RuleProfile.Default.Id, BusinessHours ?? [], Lat, Lon,
            kinds.Count > 1 ? kinds : null, RegisterText.Optional(Address), RegisterText.Optional(Party)?.ToUpperInvariant(), RegisterText.Optional(Contact),
            RegisterText.Optional(Phone), CookingHeads, RegisterText.Optional(Project));
    }

    /// <summary>The site's kinds, the first one first; a clear refusal when neither or conflicting ones are given.</summary>
    public IReadOnlyList<SiteKind> ResolvedKinds()
    {
        if (Kinds is { Count: > 0 } kinds)
        {
            if (kinds.Distinct().Count() != kinds.Count) throw new RefusalException("`kinds` names a kind twice");
            if (Kind is { } one && kinds[0] != one) throw new RefusalException("`kind` must be the first of `kinds` when both are given");
            return kinds;
        }
        return Kind is { } only ? [only] : throw new RefusalException("a site needs `kind` (noise, dust or fume) or `kinds`");
    }
}

/// <summary>Body of POST /api/devices. A gateway: `id` and `site`. An HJ 212 monitor: also `protocol` "hj212", its `mn`,
/// `password` (its PW) and `profile` (the platform profile, Hj212/hj212-profiles.json; default "default").</summary>
public sealed record DeviceRequest(string Id, string? Site, string? Protocol = null, string? Mn = null, string? Password = null, string? Profile = null,
    string? Sm4Key = null);

/// <summary>MQTT credentials of a device, shown once when it is created.</summary>
public sealed record DeviceCredentials(string Username, string Password);

/// <summary>Answer of POST /api/devices; `credentials` is null when the fleet does not manage the broker's accounts.</summary>
public sealed record DeviceCreated(string Id, string? Site, DeviceCredentials? Credentials);

/// <summary>Body of POST /api/sites/{id}/permits: the span night work is allowed in, `status` `filed` (default) or, for an
/// admin recording what the permit office already approved, `approved`; the office's `reference` and a `note`.</summary>
public sealed record PermitRequest(DateTimeOffset From, DateTimeOffset To, string? Status = null, string? Reference = null, string? Note = null);

/// <summary>Body of POST /api/sites/{id}/permits/{permitId}/approve|refuse|revoke: why (required to refuse or revoke).</summary>
public sealed record PermitDecision(string? Reason);

/// <summary>GET /api/devices/{id}.</summary>
public sealed record DeviceView(string Id, string? Site, DateTime? LastSeen, string? Firmware, string Status, long? Buffered, long Rejected);

/// <summary>Sites, devices and night-work permits. Reads need any signed-in role; writes name their roles
/// (Api/Roles) and are audited.</summary>
public static class RegistryApi
{
    public static void MapRegistryApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Registry").RequireAuthorization();
        api.MapPost("/sites", (SiteRequest body, HttpContext http, SiteRegistry registry) =>
            {
                var site = registry.AddSite(body.ToSite());
                AuditScope.Of(http).Describe($"site:{site.Id}", null, site);
                return TypedResults.Created($"/api/sites/{site.Id}", site);
            })
            .RequireRoles(Roles.Installing).Audited("site.create");
        api.MapGet("/sites", (PageRequest page, SiteRegistry registry) => page.Of(registry.Sites(), s => s.Id));
        // `at`: the site as it stood then (its register history), e.g. when a lead was raised.
        api.MapGet("/sites/{id}", (string id, DateTimeOffset? at, SiteRegistry registry) =>
            TypedResults.Ok((at is { } then ? registry.GetSite(id, then) : registry.GetSite(id)) ?? throw RefusalException.NotFound("site", id)));
        api.MapPatch("/sites/{id}", (string id, SiteChange body, HttpContext http, SiteRegistry registry) =>
                TypedResults.Ok(registry.Edit(id, body, AuditScope.Of(http))))
            .RequireRoles(Roles.Registering).Audited("site.edit");
        api.MapGet("/sites/{id}/history", (string id, SiteRegistry registry) =>
            TypedResults.Ok(registry.History(id) ?? throw RefusalException.NotFound("site", id)));
        api.MapPost("/parties", (PartyRequest body, HttpContext http, PartyRegister parties) =>
            {
                var party = parties.Add(body, AuditScope.Of(http));
                return TypedResults.Created($"/api/parties/{party.Code}", party);
            })
            .RequireRoles(Roles.Registering).Audited("party.create");
        api.MapGet("/parties", (PageRequest page, PartyRegister parties) => page.Of(parties.All(), p => p.Code));
        api.MapGet("/parties/{code}", (string code, PartyRegister parties) => TypedResults.Ok(parties.Get(code) ?? throw RefusalException.NotFound("liable party", code)));
        api.MapPatch("/parties/{code}", (string code, PartyRequest body, HttpContext http, PartyRegister parties) =>
                TypedResults.Ok(parties.Edit(code, body, AuditScope.Of(http))))
            .RequireRoles(Roles.Registering).Audited("party.edit");
        api.MapGet("/parties/{code}/history", (string code, PartyRegister parties) =>
            TypedResults.Ok(parties.History(code) ?? throw RefusalException.NotFound("liable party", code)));
        // Inspectors file permits and decide them; an admin may record one the permit office already approved (an import).
        api.MapPost("/sites/{id}/permits", (string id, PermitRequest body, HttpContext http, SiteRegistry registry) =>
            {
                var status = body.Status ?? PermitStatus.Filed;
                if (status == PermitStatus.Approved && !http.User.IsInRole(Roles.Admin))
                    throw RefusalException.Forbidden($"only an admin records a permit as {PermitStatus.Approved} (imported from the permit office); file it, then approve it");
                var permit = registry.AddPermit(id, body.From, body.To, status, body.Reference, body.Note, AuditScope.Of(http));
                return TypedResults.Created($"/api/sites/{id}/permits/{permit.Id}", permit);
            })
            .RequireRoles(Roles.Permitting).Audited("permit.create");
        MapPermitDecision(api, "approve", PermitStatus.Approved);
        MapPermitDecision(api, "refuse", PermitStatus.Refused);
        MapPermitDecision(api, "revoke", PermitStatus.Revoked);
        api.MapGet("/sites/{id}/permits", (string id, PageRequest page, SiteRegistry registry) =>
            registry.GetSite(id) is null ? throw RefusalException.NotFound("site", id) : TypedResults.Ok(registry.Permits(id, page)));
        api.MapGet("/sites/{id}/permits/{permitId:long}", (string id, long permitId, SiteRegistry registry) =>
            TypedResults.Ok(registry.Permit(id, permitId) ?? throw RefusalException.NotFound("permit", $"{permitId} at site {id}")));
        api.MapPost("/devices", async Task<Created<DeviceCreated>> (DeviceRequest body, HttpContext http, SiteRegistry registry, IEnumerable<IDeviceProtocol> protocols) =>
            {
                if (body.Protocol is not (null or "mqtt"))
                {
                    // A monitor logs in on its own protocol's receiver; it has no broker account.
                    var protocol = protocols.FirstOrDefault(p => p.Protocol == body.Protocol)
                        ?? throw new RefusalException($"`protocol` is mqtt (a gateway, the default){string.Concat(protocols.Select(p => $" or {p.Protocol}"))} (a monitor)");
                    var registered = protocol.Register(body);
                    AuditScope.Of(http).Describe($"device:{registered.Device.Id}", null, registered.Audit);
                    return TypedResults.Created($"/api/devices/{registered.Device.Id}", new DeviceCreated(registered.Device.Id, registered.Device.Site, null));
                }
                var device = registry.AddDevice(body.Id, body.Site);
                AuditScope.Of(http).Describe($"device:{device.Id}", null, device);
                return TypedResults.Created($"/api/devices/{device.Id}", new DeviceCreated(device.Id, device.Site, await NewCredentials(http, device.Id)));
            })
            .RequireRoles(Roles.Issuing).Audited("device.create");
        // A gateway whose flash was replaced, or whose password leaked: a new password, shown once; the old one stops working.
        // A revoked gateway stays revoked unless the caller says `reinstate=true`, and the audit entry says it was reinstated.
        api.MapPost("/devices/{id}/credentials", (string id, bool? reinstate, HttpContext http, SiteRegistry registry) =>
            {
                var broker = ManagedBroker(http, registry, id);
                var wasRevoked = broker.IsRevoked(id);
                var created = broker.CreateDevice(id, reinstate ?? false);
                AuditScope.Of(http).Describe($"device:{id}", new { account = wasRevoked ? "revoked" : "active" },
                    new { account = "active", credentials = "replaced" }, wasRevoked ? "reinstated a revoked device" : null);
                return TypedResults.Ok(new DeviceCredentials(created.UserName, created.Password));
            })
            .RequireRoles(Roles.Issuing).Audited("device.credentials");
        // A stolen or retired gateway: its account goes, and the broker drops its connection at once.
        api.MapPost("/devices/{id}/revoke", (string id, HttpContext http, SiteRegistry registry) =>
            {
                var broker = ManagedBroker(http, registry, id);
                var revoked = broker.RevokeDevice(id) | broker.RevokeBootstrap(id);
                registry.MarkOffline(id);
                AuditScope.Of(http).Describe($"device:{id}", new { account = revoked ? "active" : "none" }, new { account = "revoked" });
                return TypedResults.Ok(new { id, revoked });
            })
            .RequireRoles(Roles.Releasing).Audited("device.revoke");
        api.MapGet("/devices/{id}", (string id, SiteRegistry registry) => TypedResults.Ok(registry.View(id) ?? throw RefusalException.NotFound("device", id)));
    }

    /// <summary>POST /api/sites/{id}/permits/{permitId}/{verb}: moves the permit to <paramref name="status"/>; 409 when its
    /// status does not allow it (a refused permit stays refused, only an approved one is revoked).</summary>
    private static void MapPermitDecision(RouteGroupBuilder api, string verb, string status) =>
        api.MapPost($"/sites/{{id}}/permits/{{permitId:long}}/{verb}", (string id, long permitId, PermitDecision? body, HttpContext http, SiteRegistry registry) =>
                TypedResults.Ok(registry.DecidePermit(id, permitId, status, body?.Reason, AuditScope.Of(http))
                    ?? throw RefusalException.NotFound("permit", $"{permitId} at site {id}")))
            .RequireRoles(Roles.Permitting).Audited($"permit.{verb}");

    /// <summary>The broker's accounts for an existing device; 404 without the device, 409 when the fleet does not manage them.</summary>
    private static BrokerAccounts ManagedBroker(HttpContext http, SiteRegistry registry, string id)
    {
        if (registry.View(id) is null) throw RefusalException.NotFound("device", id);
        return http.RequestServices.GetService<BrokerAccounts>()
            ?? throw RefusalException.Conflict("this fleet does not manage broker accounts (Broker:Enabled is off)");
    }

    /// <summary>A fresh MQTT password for the device when the fleet manages the broker's accounts (once the broker was told to
    /// load it, so the device can connect with the answer); null otherwise.</summary>
    private static async Task<DeviceCredentials?> NewCredentials(HttpContext http, string device) =>
        http.RequestServices.GetService<BrokerAccounts>() is { } broker && await broker.CreateDeviceAsync(device) is var c
            ? new DeviceCredentials(c.UserName, c.Password)
            : null;

}
