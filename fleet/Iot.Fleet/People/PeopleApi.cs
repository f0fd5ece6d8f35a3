using System.Globalization;
using System.Text.Json;
using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Microsoft.AspNetCore.Authentication;

namespace Iot.Fleet.People;

/// <summary>Body of POST /api/login (JSON or a form).</summary>
public sealed record LoginRequest(string? Login, string? Password);

/// <summary>GET /api/me: who the caller is and how they signed in.</summary>
public sealed record Me(string Login, string? Name, string Role, string? Squad, string ActorKind);

/// <summary>Body of POST /api/people.</summary>
public sealed record NewPerson(string Login, string Name, string Role, string Password, string? Squad);

/// <summary>Body of POST /api/tokens.</summary>
public sealed record NewApiToken(string Name);

/// <summary>Sign-in, people and API tokens.</summary>
public static class PeopleApi
{
    internal static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("People");
        api.MapPost("/login", Login)
            .Accepts<LoginRequest>("application/json", "application/x-www-form-urlencoded")
            .AllowAnonymous()
            .NotAudited("starts a session; changes no fleet data (failures are logged and throttled)");
        api.MapPost("/logout", async (HttpContext http) =>
            {
                await http.SignOutAsync(PeopleSetup.CookieScheme);
                return TypedResults.NoContent();
            })
            .AllowAnonymous()
            .NotAudited("ends a session; changes no fleet data");
        api.MapGet("/me", (HttpContext http, PeopleStore people) =>
        {
            var person = http.User.PersonId() is { } id ? people.Find(id) : null;
            return new Me(http.User.Identity!.Name!, person?.Name, http.User.Role()!, person?.Squad, AuditActor.Of(http.User).Kind);
        });

        api.MapPost("/people", (NewPerson body, HttpContext http, PeopleStore people) =>
            {
                var person = people.Add(body.Login, body.Name, body.Role, body.Squad, body.Password, AuditScope.Of(http));
                return TypedResults.Created($"/api/people/{person.Login}", PersonView.Of(person));
            })
            .RequireRoles(Roles.Admin).Audited("person.create");
        api.MapGet("/people", (PageRequest page, PeopleStore people) => page.Of([.. people.All().Select(PersonView.Of).OrderBy(p => p.Login, StringComparer.Ordinal)], p => p.Login))
            .RequireRoles(Roles.Admin);
        api.MapPatch("/people/{login}", (string login, PersonChange body, HttpContext http, PeopleStore people) =>
                TypedResults.Ok(PersonView.Of(people.Change(login, body, AuditScope.Of(http)))))
            .RequireRoles(Roles.Admin).Audited("person.update");

        api.MapPost("/tokens", (NewApiToken body, HttpContext http, PeopleStore people, ApiTokens tokens) =>
            {
                var owner = http.User.PersonId() is { } id ? people.Find(id) : null;
                if (owner is null) throw new RefusalException("API tokens belong to a person; the admin token cannot own one", StatusCodes.Status403Forbidden);
                var created = tokens.Create(owner, body.Name, AuditScope.Of(http));
                return TypedResults.Created($"/api/tokens/{created.Id}", created);
            })
            .RequireRoles(Roles.Any).Audited("token.create");
        api.MapGet("/tokens", (HttpContext http, PageRequest page, ApiTokens tokens) =>
            page.Of(tokens.Of(http.User.IsInRole(Roles.Admin) ? null : http.User.PersonId() ?? -1), t => t.Id));
        api.MapDelete("/tokens/{id:long}", (long id, HttpContext http, ApiTokens tokens) =>
            {
                // Someone else's token is as good as missing, so ids do not reveal what exists.
                var token = tokens.Find(id);
                var mine = token is not null && (http.User.IsInRole(Roles.Admin) || token.Owner == http.User.Identity?.Name);
                if (!mine || !tokens.Revoke(id, AuditScope.Of(http))) throw RefusalException.NotFound("token", id);
                return TypedResults.NoContent();
            })
            .RequireRoles(Roles.Any).Audited("token.revoke");
    }

    private static async Task<IResult> Login(HttpContext http, PeopleStore people, LoginThrottle throttle, ILoggerFactory loggers)
    {
        var body = await ReadLogin(http.Request);
        if (body is not { Login: { Length: > 0 } login, Password: { Length: > 0 } password })
            return TypedResults.Problem("Send {\"login\": …, \"password\": …} as JSON or a form.", statusCode: StatusCodes.Status400BadRequest);
        var logger = loggers.CreateLogger("Iot.Fleet.People");
        // The address as the forwarded headers left it: the client's own behind a known proxy.
        var client = LoginThrottle.ClientOf(http.Connection.RemoteIpAddress);
        if (throttle.Refusal(client, login) is { } refusal) return TooMany(http, refusal);
        Person? person;
        using (var turn = await throttle.TurnToCheck(http.RequestAborted))
        {
            if (turn is null) return TooMany(http, new LoginRefusal(TimeSpan.FromSeconds(2), "The fleet is checking many sign-ins right now; try again in a moment."));
            person = people.CheckPassword(login, password);
        }
        if (person is not { Disabled: false })
        {
            throttle.Failed(client, login);
            logger.LogWarning("Failed sign-in for {Login} from {Address}", login, http.Connection.RemoteIpAddress);
            return TypedResults.Problem("Wrong login or password, or the account is disabled.", statusCode: StatusCodes.Status401Unauthorized, title: "Not signed in");
        }
        throttle.Succeeded(client, login);
        await http.SignInAsync(PeopleSetup.CookieScheme, Callers.Session(person, PeopleSetup.CookieScheme));
        return TypedResults.Ok(new Me(person.Login, person.Name, person.Role, person.Squad, ActorKinds.Person));
    }

    private static IResult TooMany(HttpContext http, LoginRefusal refusal)
    {
        http.Response.Headers.RetryAfter = Math.Max(1, Math.Ceiling(refusal.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(refusal.Reason, statusCode: StatusCodes.Status429TooManyRequests, title: "Locked for now");
    }

    private static async Task<LoginRequest?> ReadLogin(HttpRequest request)
    {
        try
        {
            if (request.HasFormContentType)
            {
                var form = await request.ReadFormAsync();
                return new LoginRequest(form["login"], form["password"]);
            }
            return request.HasJsonContentType() ? await request.ReadFromJsonAsync<LoginRequest>() : null;
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or BadHttpRequestException)
        {
            return null;
        }
    }
}
