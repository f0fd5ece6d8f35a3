using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.People;
using Iot.Fleet.Registry;
using Iot.Contract.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Iot.Fleet.Provisioning;

/// <summary>The factory upload and the installer's claim (contract: provisioning/README.md).</summary>
public static class ProvisioningApi
{
    public static void MapProvisioningApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Provisioning").RequireAuthorization();
        api.MapPost("/factory/devices", (List<FactoryDevice> body, HttpContext http, FactoryGateways gateways) =>
            {
                var created = gateways.Upload(body);
                AuditScope.Of(http).Describe("factory", null, new { devices = body.Select(d => d.Id) });
                return TypedResults.Created("/api/factory/devices", new FactoryUploadResult(created));
            })
            .RequireRoles(Roles.Engineer).Audited("factory.upload")
            .WithBodyLimit(RequestLimits.BulkList);
        api.MapPost("/claims", Results<Created<ClaimResult>, Ok<ClaimResult>> (ClaimRequest body, HttpContext http, FactoryGateways gateways, ClaimAttempts attempts, SiteRegistry registry) =>
            {
                var caller = AuditActor.Of(http.User).Name;
                if (!attempts.Allowed(caller))
                    throw new RefusalException("too many wrong claim codes; wait a few minutes", StatusCodes.Status429TooManyRequests);
                if (body.SiteId is { } siteId && http.User.Role() == Roles.Installer && !registry.InstallerMayAddTo(siteId, caller))
                    throw RefusalException.Forbidden(SiteRegistry.InstallerRefusal(siteId));
                ClaimResult result;
                bool repeated;
                try
                {
                    (result, repeated) = gateways.Claim(body, caller, IdempotencyKey.Of(http));
                }
                // A wrong, used-up or expired code counts against the caller: guessing codes must stay slow.
                catch (RefusalException e) when (e.Status is StatusCodes.Status400BadRequest or StatusCodes.Status404NotFound or StatusCodes.Status410Gone)
                {
                    attempts.Failed(caller);
                    throw;
                }
                if (repeated)
                {
                    // The phone lost the first answer and sent the claim again: the same answer, nothing changed.
                    AuditScope.Of(http).Describe($"device:{result.DeviceId}", null, result, $"repeated with its {IdempotencyKey.Header}; nothing changed");
                    return TypedResults.Ok(result);
                }
                AuditScope.Of(http).Describe($"device:{result.DeviceId}", null, new { result.DeviceId, result.SiteId, newSite = body.Site });
                return TypedResults.Created($"/api/devices/{result.DeviceId}", result);
            })
            .RequireRoles(Roles.Installing).Audited("device.claim");
        api.MapGet("/factory/devices/{id}", (string id, FactoryGateways gateways) =>
            TypedResults.Ok(gateways.Get(id) ?? throw RefusalException.NotFound("factory gateway", id)));
    }
}

/// <summary>Counts failed claims per caller: a claim code has about 45 random bits, and guessing must stay slow.</summary>
public sealed class ClaimAttempts(Microsoft.Extensions.Options.IOptions<ProvisioningOptions> options, TimeProvider clock)
{
    private readonly Dictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);

    public bool Allowed(string caller)
    {
        lock (_failures) return Recent(caller).Count < options.Value.MaxFailedClaims;
    }

    public void Failed(string caller)
    {
        lock (_failures) Recent(caller).Enqueue(clock.GetUtcNow());
    }

    private Queue<DateTimeOffset> Recent(string caller)
    {
        if (!_failures.TryGetValue(caller, out var queue)) _failures[caller] = queue = new Queue<DateTimeOffset>();
        var since = clock.GetUtcNow() - options.Value.ClaimAttemptWindow;
        while (queue.Count > 0 && queue.Peek() < since) queue.Dequeue();
        return queue;
    }
}
