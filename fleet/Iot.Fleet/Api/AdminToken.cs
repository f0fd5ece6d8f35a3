using System.Security.Cryptography;
using System.Text;

namespace Iot.Fleet.Api;

/// <summary>Options of the fleet service itself (section "Fleet").</summary>
public sealed class FleetOptions
{
    /// <summary>Bearer token that writes need. When empty, one is made at start and logged.</summary>
    public string? AdminToken { get; set; }
}

/// <summary>Writes need `Authorization: Bearer &lt;admin token&gt;` (until people and roles arrive).</summary>
public sealed class AdminToken
{
    public AdminToken(IConfiguration configuration, ILogger<AdminToken> logger)
    {
        Value = configuration["Fleet:AdminToken"] is { Length: > 0 } configured ? configured : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        if (configuration["Fleet:AdminToken"] is not { Length: > 0 })
            logger.LogWarning("No Fleet:AdminToken configured; this run's admin token is {Token}", Value);
    }

    public string Value { get; }

    /// <summary>True when the request carries the admin token (compared in constant time).</summary>
    public bool Allows(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal)) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[7..].Trim()), Encoding.UTF8.GetBytes(Value));
    }
}

/// <summary>Endpoint filter for writes.</summary>
public sealed class RequireAdmin(AdminToken token) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        token.Allows(context.HttpContext.Request)
            ? next(context)
            : ValueTask.FromResult<object?>(Results.Problem("This write needs Authorization: Bearer <admin token>.", statusCode: StatusCodes.Status401Unauthorized));
}
