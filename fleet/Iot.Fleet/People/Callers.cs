using System.Globalization;
using System.Security.Claims;
using Iot.Fleet.Api;
using Iot.Fleet.Audit;

namespace Iot.Fleet.People;

/// <summary>The claims of an authenticated caller. Name is the login ("admin-token" for the admin token),
/// Role the role, <see cref="AuditActor.KindClaim"/> how they signed in.</summary>
public static class Callers
{
    public const string PersonIdClaim = "iot:person";
    public const string SessionEpochClaim = "iot:session_epoch";
    public const string TokenIdClaim = "iot:token";
    public const string SquadClaim = "iot:squad";

    /// <summary>The name the admin token acts under, in the audit log and in records that name a person.</summary>
    public const string AdminTokenName = "admin-token";

    /// <summary>A person signed in with their password (the cookie session).</summary>
    public static ClaimsPrincipal Session(Person person, string scheme) =>
        Principal(person, scheme, ActorKinds.Person, new Claim(SessionEpochClaim, person.SessionEpoch.ToString(CultureInfo.InvariantCulture)));

    /// <summary>A person acting through one of their API tokens.</summary>
    public static ClaimsPrincipal Token(Person person, long tokenId, string scheme) =>
        Principal(person, scheme, ActorKinds.Token, new Claim(TokenIdClaim, tokenId.ToString(CultureInfo.InvariantCulture)));

    /// <summary>The configured admin token: automation with the admin role, no person behind it.</summary>
    public static ClaimsPrincipal AdminToken(string scheme) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.Name, AdminTokenName), new Claim(ClaimTypes.Role, Roles.Admin), new Claim(AuditActor.KindClaim, ActorKinds.AdminToken)], scheme));

    /// <summary>The person id behind the caller; null for the admin token.</summary>
    public static long? PersonId(this ClaimsPrincipal user) =>
        long.TryParse(user.FindFirstValue(PersonIdClaim), CultureInfo.InvariantCulture, out var id) ? id : null;

    public static string? Role(this ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.Role);

    private static ClaimsPrincipal Principal(Person person, string scheme, string kind, Claim extra)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, person.Login),
            new(ClaimTypes.Role, person.Role),
            new(AuditActor.KindClaim, kind),
            new(PersonIdClaim, person.Id.ToString(CultureInfo.InvariantCulture)),
            extra,
        };
        if (person.Squad is { } squad) claims.Add(new Claim(SquadClaim, squad));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }
}
