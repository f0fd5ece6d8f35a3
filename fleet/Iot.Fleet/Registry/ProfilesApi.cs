using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.People;
using Iot.Fleet.Rules;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Iot.Fleet.Registry;

/// <summary>Body of POST /api/sites/{id}/quiet-periods.</summary>
public sealed record QuietPeriodRequest(
    DateTimeOffset? From,
    DateTimeOffset? To,
    string? Profile,
    string? Reason);

/// <summary>Rule profiles (read by anyone signed in; created and versioned by engineers) and sites' quiet periods
/// (inspectors and engineers). Lists page like every list (Api/Paging); refusals are 400 problems with `errors` by field.</summary>
public static class ProfilesApi
{
    /// <summary>The `detail` of a refused profile or quiet period; `errors` says what, field by field.</summary>
    private const string Refused = "some fields cannot be taken; `errors` says why, field by field";

    public static IServiceCollection AddProfiles(this IServiceCollection services)
    {
        services.AddOptions<ProfilesOptions>().BindConfiguration("Profiles");
        services.AddSingleton<ProfileStore>();
        return services;
    }

    public static void MapProfilesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Profiles").RequireAuthorization();
        api.MapGet("/profiles", (PageRequest page, ProfileStore store, TimeProvider clock) =>
        {
            var catalog = store.Catalog();
            return page.Of(catalog.Ids.Order(StringComparer.Ordinal).Select(id => catalog.View(id, clock.GetUtcNow())).ToList(), p => p.Id);
        });
        api.MapGet("/profiles/{id}", (string id, ProfileStore store, TimeProvider clock) =>
            store.Catalog() is var catalog && catalog.Versions(id) is not null
                ? TypedResults.Ok(catalog.View(id, clock.GetUtcNow()))
                : throw RefusalException.NotFound("profile", id));
        api.MapPost("/profiles", Results<Created<ProfileView>, ValidationProblem> (ProfileDefinition body, HttpContext http, ProfileStore store, SiteRegistry registry,
                TimeProvider clock) =>
                {
                    var problems = new Dictionary<string, string[]>();
                    if (store.Create(body, AuditScope.Of(http), problems) is not { } profile) return TypedResults.ValidationProblem(problems, Refused);
                    registry.Reload();
                    return TypedResults.Created($"/api/profiles/{profile.Id}", store.Catalog().View(profile.Id, clock.GetUtcNow()));
                })
            .RequireRoles(Roles.Profiling).Audited("profile.create");
        api.MapPost("/profiles/{id}/versions", Results<Created<ProfileVersionView>, ValidationProblem> (string id, ProfileDefinition body, HttpContext http, ProfileStore store,
                SiteRegistry registry) =>
                {
                    var problems = new Dictionary<string, string[]>();
                    var version = store.AddVersion(id, body, AuditScope.Of(http), problems);
                    if (version is null)
                        return problems.Count > 0 ? TypedResults.ValidationProblem(problems, Refused) : throw RefusalException.NotFound("profile", id);
                    registry.Reload();
                    return TypedResults.Created($"/api/profiles/{version.Id}", ProfileVersionView.Of(version));
                })
            .RequireRoles(Roles.Profiling).Audited("profile.version");
        api.MapPost("/sites/{id}/quiet-periods", Results<Created<QuietPeriod>, ValidationProblem> (string id, QuietPeriodRequest body, HttpContext http, ProfileStore store,
                SiteRegistry registry) =>
            {
                var problems = new Dictionary<string, string[]>();
                var period = store.AddQuietPeriod(id, body.From, body.To, body.Profile, body.Reason, AuditScope.Of(http), problems);
                if (period is null) return problems.Count > 0 ? TypedResults.ValidationProblem(problems, Refused) : throw RefusalException.NotFound("site", id);
                registry.Reload();
                return TypedResults.Created($"/api/sites/{id}/quiet-periods", period);
            })
            .RequireRoles(Roles.Quieting).Audited("quiet_period.create");
        api.MapGet("/sites/{id}/quiet-periods", (string id, PageRequest page, ProfileStore store, SiteRegistry registry) =>
            registry.GetSite(id) is null ? throw RefusalException.NotFound("site", id) : TypedResults.Ok(page.Of(store.Catalog().QuietPeriods(id), q => q.Id)));
    }

}
