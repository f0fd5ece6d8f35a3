using System.Text.Encodings.Web;
using Iot.Fleet.Api;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.People;

/// <summary>`Authorization: Bearer …` for tools: a person's API token (`iotk_…`) or the configured admin token.</summary>
public sealed class BearerAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AdminToken adminToken, ApiTokens tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return Task.FromResult(AuthenticateResult.Fail("The Authorization header must be `Bearer <token>`."));
        var presented = header[7..].Trim();
        if (adminToken.Matches(presented))
            return Task.FromResult(Success(Callers.AdminToken(Scheme.Name)));
        if (tokens.Authenticate(presented) is var (owner, id))
            return Task.FromResult(Success(Callers.Token(owner, id, Scheme.Name)));
        return Task.FromResult(AuthenticateResult.Fail("The bearer token is not valid: unknown, revoked, or its owner is disabled."));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.Headers.WWWAuthenticate = "Bearer";
        await Access.Unauthorized(Context, result.Failure?.Message);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => Access.Forbidden(Context);

    private AuthenticateResult Success(System.Security.Claims.ClaimsPrincipal user) => AuthenticateResult.Success(new AuthenticationTicket(user, Scheme.Name));
}

/// <summary>401 and 403 as problem details that say what to do; the API never redirects to a login page.</summary>
public static class Access
{
    public static Task Unauthorized(HttpContext http, string? why = null) =>
        Results.Problem(
            (why is null ? "" : why + " ") + "Sign in (POST /api/login) or send Authorization: Bearer <API token>.",
            statusCode: StatusCodes.Status401Unauthorized, title: "Not signed in").ExecuteAsync(http);

    public static Task Forbidden(HttpContext http)
    {
        var needed = http.GetEndpoint()?.Metadata.GetMetadata<RequiredRoles>()?.Roles;
        var who = $"{http.User.Identity?.Name} ({http.User.Role() ?? "no role"})";
        var detail = needed is null ? $"{who} may not do this." : $"This needs the role {string.Join(" or ", needed)}; {who} may not do this.";
        return Results.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Not allowed").ExecuteAsync(http);
    }
}
