using System.Security.Cryptography;
using System.Text;
using Iot.Fleet.People;

namespace Iot.Fleet.Api;

/// <summary>Options of the fleet service itself (section "Fleet").</summary>
public sealed class FleetOptions
{
    /// <summary>Bearer token for automation (`./iot up`, tests, benchmarks); acts with the admin role.
    /// When empty, one is made at start and logged.</summary>
    public string? AdminToken { get; set; }

    /// <summary>Password of the `admin` person created on a fleet without people; generated and logged once when empty.</summary>
    public string? InitialAdminPassword { get; set; }
}

/// <summary>The configured admin token (`Fleet:AdminToken`): the automation path of the bearer scheme
/// (People/BearerAuthentication), acting as role admin with actor kind `admin-token`.</summary>
public sealed class AdminToken
{
    private readonly byte[] _value;

    public AdminToken(IConfiguration configuration, ILogger<AdminToken> logger)
    {
        Value = configuration["Fleet:AdminToken"] is { Length: > 0 } configured ? configured : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        if (configuration["Fleet:AdminToken"] is not { Length: > 0 })
            logger.LogWarning("No Fleet:AdminToken configured; this run's admin token is {Token}", Value);
        _value = Encoding.UTF8.GetBytes(Value);
    }

    public string Value { get; }

    /// <summary>True when <paramref name="presented"/> is the admin token (compared in constant time).</summary>
    public bool Matches(string presented) => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _value);
}

/// <summary>Endpoint filter of the first write endpoints: admits admins only. New code uses
/// <c>.RequireRoles(…)</c> and <c>.Audited(…)</c> (People/README.md) instead.</summary>
public sealed class RequireAdmin : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var user = context.HttpContext.User;
        if (user.Identity?.IsAuthenticated != true)
            return ValueTask.FromResult<object?>(Results.Problem("Sign in (POST /api/login) or send Authorization: Bearer <API token>.", statusCode: StatusCodes.Status401Unauthorized));
        return user.IsInRole(Roles.Admin)
            ? next(context)
            : ValueTask.FromResult<object?>(Results.Problem($"This needs the role {Roles.Admin}.", statusCode: StatusCodes.Status403Forbidden));
    }
}
