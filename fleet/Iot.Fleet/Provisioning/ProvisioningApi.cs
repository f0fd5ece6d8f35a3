using Iot.Fleet.Api;
using Iot.Provisioning.Contract;

namespace Iot.Fleet.Provisioning;

/// <summary>The factory upload and the installer's claim (contract: provisioning/README.md).</summary>
public static class ProvisioningApi
{
    public static void MapProvisioningApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Provisioning");
        api.MapPost("/factory/devices", (List<FactoryDevice> body, FactoryGateways gateways) => Answer(() =>
                Results.Created("/api/factory/devices", new FactoryUploadResult(gateways.Upload(body)))))
            .AddEndpointFilter<RequireAdmin>();
        api.MapPost("/claims", (ClaimRequest body, HttpContext http, FactoryGateways gateways, ClaimAttempts attempts) =>
            {
                var caller = Caller.Of(http);
                if (!attempts.Allowed(caller))
                    return Results.Problem("too many wrong claim codes; wait a few minutes", statusCode: StatusCodes.Status429TooManyRequests);
                var answer = Answer(() =>
                {
                    var result = gateways.Claim(body, caller);
                    return Results.Created($"/api/devices/{result.DeviceId}", result);
                });
                if (answer is IStatusCodeHttpResult { StatusCode: StatusCodes.Status404NotFound or StatusCodes.Status410Gone }) attempts.Failed(caller);
                return answer;
            })
            .AddEndpointFilter<RequireAdmin>();
        api.MapGet("/factory/devices/{id}", (string id, FactoryGateways gateways) =>
            gateways.Get(id) is { } gateway ? Results.Ok(gateway) : Results.Problem($"no factory gateway {id}", statusCode: StatusCodes.Status404NotFound));
    }

    private static IResult Answer(Func<IResult> action)
    {
        try
        {
            return action();
        }
        catch (ClaimException e)
        {
            return Results.Problem(e.Message, statusCode: e.Status);
        }
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

/// <summary>Who is calling, for records that name a person.</summary>
public static class Caller
{
    public static string Of(HttpContext http) => http.User.Identity?.Name is { Length: > 0 } name ? name : "admin-token";
}
