using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.Cluster;
using Iot.Fleet.People;
using Iot.Fleet.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Updates;

/// <summary>One stage of a campaign: how far its devices got.</summary>
public sealed record StageProgress(int Stage, double Share, int Devices, int Queued, int InProgress, int Succeeded, int Failed);

/// <summary>A device in a campaign as the API shows it: its state in its own words, the fleet's health verdict.</summary>
public sealed record CampaignDeviceView(string Device, int Stage, string State, string? Reason, int? Percent, string? Running, string Health, string? From,
    int Sends, DateTimeOffset? SentAt, DateTimeOffset UpdatedAt);

/// <summary>GET /api/campaigns/{id}; the list leaves out `devices`.</summary>
public sealed record CampaignView(long Id, string JobId, string Version, string Status, string? StatusReason, int Stage, int Stages, long? RollbackOf,
    CampaignSpec Spec, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, IReadOnlyList<StageProgress> Progress, IReadOnlyDictionary<string, int> States,
    IReadOnlyList<CampaignDeviceView> Failures, IReadOnlyList<CampaignDeviceView>? Devices)
{
    public static CampaignView Of(Campaign c, bool devices)
    {
        CampaignDeviceView View(CampaignDevice d) => new(d.Id, d.Stage + 1, d.State, d.Reason, d.Percent, d.Running, d.Health, d.From, d.Sends, d.SentAt, d.UpdatedAt);
        var shares = c.Spec.StageShares;
        var progress = shares.Select((share, i) =>
        {
            var stage = c.Devices.Where(d => d.Stage == i).ToList();
            return new StageProgress(i + 1, share, stage.Count, stage.Count(d => d.State == UpdateState.Queued),
                stage.Count(d => !d.Succeeded && !d.Failed && d.State != UpdateState.Queued), stage.Count(d => d.Succeeded), stage.Count(d => d.Failed));
        }).ToList();
        var states = c.Devices.GroupBy(d => d.State).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());
        return new CampaignView(c.Id, c.JobId, c.Release.Version, c.Status, c.StatusReason, c.Stage + 1, shares.Count, c.RollbackOf, c.Spec, c.CreatedAt,
            c.UpdatedAt, progress, states, c.Devices.Where(d => d.Failed).Select(View).ToList(), devices ? c.Devices.Select(View).ToList() : null);
    }
}

/// <summary>Body of POST /api/campaigns/{id}/rollback: all optional; the version defaults to what the devices ran before.</summary>
public sealed record RollbackRequest(string? Version = null, List<double>? Stages = null, double? HaltThreshold = null, double? RatePerMinute = null);

/// <summary>A release as listed: its signed fields and notes, and where devices download it.</summary>
public sealed record ReleaseView(string Version, string Target, long Size, string Sha256, bool AllowDowngrade, string Key, string Notes, DateTimeOffset UploadedAt,
    string Bundle);

/// <summary>Over-the-air updates: releases (upload, list, bundle downloads with Range) and campaigns.</summary>
public static class UpdatesApi
{
    public static IServiceCollection AddUpdates(this IServiceCollection services)
    {
        services.AddOptions<UpdatesOptions>().BindConfiguration("Updates");
        services.AddSingleton<ReleaseLibrary>();
        services.AddSingleton(sp => new Rollout(sp.GetRequiredService<FleetDatabase>(), sp.GetRequiredService<TimeProvider>()));
        services.AddLeaderOnly<CampaignRunner>();
        return services;
    }

    public static WebApplication MapUpdatesApi(this WebApplication app)
    {
        // Writes need the engineer role (or admin) and are audited; reads need a signed-in caller (the fleet's fallback policy).
        static RouteHandlerBuilder Write(RouteHandlerBuilder endpoint, string action) => endpoint.RequireRoles(Roles.Releasing).Audited(action);
        // Campaigns run on the leading instance (Cluster/): its Rollout holds them in memory, so a standby refuses to change one.
        static RouteHandlerBuilder Campaign(RouteHandlerBuilder endpoint, string action) => Write(endpoint, action).AddEndpointFilter((context, next) =>
            context.HttpContext.RequestServices.GetRequiredService<FleetLeadership>().IsLeader ? next(context)
                : throw new RefusalException("this fleet instance is a standby and campaigns are run by the leading one; send the request again to the leader " +
                    "(its /healthz says \"leader\": true), or through a load balancer that routes campaign changes there", StatusCodes.Status503ServiceUnavailable));

        var api = app.MapGroup("/api").WithTags("Updates");
        // The bundle, with room for release.json and the form's framing.
        var largestUpload = app.Services.GetRequiredService<IOptions<UpdatesOptions>>().Value.MaxBundleBytes + RequestLimits.Default;
        Write(api.MapPost("/releases", UploadRelease).DisableAntiforgery().WithBodyLimit(largestUpload), "release.upload");
        api.MapGet("/releases", (PageRequest page, ReleaseLibrary library) => page.Of([.. library.All().Select(View)], r => r.Version));
        api.MapGet("/releases/downloads", (ReleaseLibrary library) => TypedResults.Ok(new { requests = library.Downloads.Requests, ranged = library.Downloads.Ranged }));
        api.MapGet("/releases/{version}", (string version, ReleaseLibrary library) =>
            TypedResults.Ok(View(library.Find(version) ?? throw RefusalException.NotFound("release", version))));
        // Open to devices (they hold no API credentials): the signature, not the server, makes a bundle trustworthy.
        api.MapGet("/releases/{version}/bundle", (string version, HttpRequest request, ReleaseLibrary library) =>
        {
            var release = library.Find(version) ?? throw RefusalException.NotFound("release", version);
            library.CountDownload(request.Headers.Range.Count > 0);
            return TypedResults.PhysicalFile(Path.GetFullPath(library.BundlePath(release)), "application/octet-stream", $"firmware-{release.Target}-{release.Version}.bin", enableRangeProcessing: true);
        }).AllowAnonymous();

        Campaign(api.MapPost("/campaigns", (CampaignSpec spec, Rollout rollout, ReleaseLibrary library) =>
        {
            var release = library.Find(spec.Version ?? "") ?? throw new RefusalException($"no release {spec.Version}; upload it first (POST /api/releases)");
            var campaign = rollout.Create(spec, release, rollout.FleetDevices());
            return TypedResults.Created($"/api/campaigns/{campaign.Id}", CampaignView.Of(campaign, devices: true));
        }), "campaign.create");
        api.MapGet("/campaigns", (PageRequest page, Rollout rollout) => page.Of(rollout.All().Select(c => CampaignView.Of(c, devices: false)), c => c.Id));
        api.MapGet("/campaigns/{id:long}", (long id, Rollout rollout) =>
            TypedResults.Ok(CampaignView.Of(rollout.Find(id) ?? throw RefusalException.NotFound("campaign", id), devices: true)));
        Campaign(api.MapPost("/campaigns/{id:long}/pause", (long id, Rollout rollout) => TypedResults.Ok(CampaignView.Of(rollout.Pause(id), false))), "campaign.pause");
        Campaign(api.MapPost("/campaigns/{id:long}/resume", (long id, Rollout rollout) => TypedResults.Ok(CampaignView.Of(rollout.Resume(id), false))), "campaign.resume");
        Campaign(api.MapPost("/campaigns/{id:long}/abort", (long id, Rollout rollout) => TypedResults.Ok(CampaignView.Of(rollout.Abort(id), false))), "campaign.abort");
        Campaign(api.MapPost("/campaigns/{id:long}/rollback", (long id, RollbackRequest? body, Rollout rollout, ReleaseLibrary library) =>
        {
            var version = body?.Version ?? rollout.PreviousVersion(id)
                ?? throw new RefusalException($"campaign {id} does not know which version its devices ran before; give `version`");
            var release = library.Find(version)
                ?? throw new RefusalException($"no release {version} in the fleet; upload it (signed with --allow-downgrade to go back to it) and give its version");
            var overrides = new CampaignSpec(version, Stages: body?.Stages, RatePerMinute: body?.RatePerMinute, HaltThreshold: body?.HaltThreshold ?? 0.1);
            var campaign = rollout.Rollback(id, release, overrides);
            return TypedResults.Created($"/api/campaigns/{campaign.Id}", CampaignView.Of(campaign, devices: true));
        }), "campaign.rollback");

        // The engineers' page is wwwroot/engineer/campaigns/ (zh/en, with the actions above); the static files answer its old
        // address /engineer/campaigns with a redirect there.
        return app;
    }

    private static async Task<Created<ReleaseView>> UploadRelease(HttpRequest request, ReleaseLibrary library, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType) throw new RefusalException("send multipart/form-data with the files `release` (release.json) and `bundle`");
        var form = await request.ReadFormAsync(cancellationToken);
        var json = form.Files.GetFile("release") ?? form.Files.FirstOrDefault(f => f.FileName == "release.json");
        var bundle = form.Files.GetFile("bundle") ?? form.Files.FirstOrDefault(f => f != json);
        if (json is null || bundle is null) throw new RefusalException("both files are needed: `release` (release.json) and `bundle`");
        await using var jsonStream = json.OpenReadStream();
        await using var bundleStream = bundle.OpenReadStream();
        var release = await library.Add(jsonStream, bundleStream, clock.GetUtcNow(), cancellationToken);
        return TypedResults.Created($"/api/releases/{release.Version}", View(release));
    }

    private static ReleaseView View(Release r) =>
        new(r.Version, r.Target, r.Size, r.Sha256, r.AllowDowngrade, r.Key, r.Notes, r.UploadedAt, $"/api/releases/{Uri.EscapeDataString(r.Version)}/bundle");
}
