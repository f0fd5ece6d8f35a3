using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.Cluster;
using Iot.Fleet.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.People;

/// <summary>Sign-in for the fleet: a cookie session for the pages, bearer tokens for tools, chosen per request
/// by whether an Authorization header is present. Everything needs a signed-in caller unless marked
/// <c>AllowAnonymous</c>.</summary>
public static class PeopleSetup
{
    /// <summary>The default scheme: forwards to <see cref="CookieScheme"/> or <see cref="BearerScheme"/>.</summary>
    public const string Scheme = "fleet";
    public const string CookieScheme = "session";
    public const string BearerScheme = "bearer";
    public const string CookieName = "iot_session";

    public static WebApplicationBuilder AddPeople(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<FleetOptions>().BindConfiguration("Fleet");
        services.AddSingleton<AdminToken>();
        services.AddSingleton<PeopleStore>();
        services.AddSingleton<ApiTokens>();
        services.AddOptions<LoginLimits>().BindConfiguration("Login");
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<AuditLog>();
        services.AddOptions<Audit.AuditHeadOptions>().BindConfiguration("Audit");
        services.AddSingleton<Audit.AuditHeadExport>();
        services.AddLeaderOnly<Audit.AuditHeadExport>();

        services.AddDataProtection().SetApplicationName("iot-fleet");
        services.AddOptions<KeyManagementOptions>().Configure<FleetDatabase>((o, database) => o.XmlRepository = new SessionKeys(database));

        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "Session cookie or bearer token", o =>
                o.ForwardDefaultSelector = http => http.Request.Headers.Authorization.Count > 0 ? BearerScheme : CookieScheme)
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(8); // a shift; sliding, so an active page stays signed in
                o.SlidingExpiration = true;
                o.Events.OnRedirectToLogin = c => Access.Unauthorized(c.HttpContext);
                o.Events.OnRedirectToAccessDenied = c => Access.Forbidden(c.HttpContext);
                o.Events.OnValidatePrincipal = ValidateSession;
            })
            .AddScheme<AuthenticationSchemeOptions, BearerAuthentication>(BearerScheme, null);
        services.AddAuthorizationBuilder().SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        return builder;
    }

    /// <summary>Maps login, people, tokens and the audit log, and makes sure someone can sign in.</summary>
    public static WebApplication MapPeopleApi(this WebApplication app)
    {
        PeopleApi.Map(app);
        app.MapAuditApi();
        app.MapAdminTokenApi();
        // Resolve the token now so a generated one is written at start, not on the first request.
        app.Services.GetRequiredService<AdminToken>();
        app.Services.GetRequiredService<PeopleStore>().EnsureFirstAdmin(
            app.Services.GetRequiredService<IOptions<FleetOptions>>().Value.InitialAdminPassword,
            Path.Combine(app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.DataDirectory, PeopleStore.FirstAdminPasswordFile),
            app.Services.GetRequiredService<AuditLog>(), app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Iot.Fleet.People"));
        return app;
    }

    /// <summary>A session ends when its person is gone or disabled, or their password or role changed since sign-in.</summary>
    private static async Task ValidateSession(CookieValidatePrincipalContext context)
    {
        var people = context.HttpContext.RequestServices.GetRequiredService<PeopleStore>();
        var user = context.Principal!;
        if (user.PersonId() is { } id && people.Find(id) is { Disabled: false } person
            && user.FindFirst(Callers.SessionEpochClaim)?.Value == person.SessionEpoch.ToString(System.Globalization.CultureInfo.InvariantCulture))
            return;
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(CookieScheme);
    }
}
