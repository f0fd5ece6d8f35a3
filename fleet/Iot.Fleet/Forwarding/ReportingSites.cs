using Dapper;
using Iot.Fleet.Api;
using Iot.Fleet.Registry;
using Iot.Fleet.Storage;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Forwarding;

/// <summary>A reporting site as the API shows it: where it reports, under which MN, and whether that came from the
/// configuration or was set through the API (by whom, when).</summary>
public sealed record ReportingSiteView(string Site, string Platform, string Mn, string Source, string? SetBy, DateTimeOffset? SetAt);

/// <summary>
/// The sites that report to a platform and the MN each reports under: those in configuration (Hj212:Sites) and those set
/// through `PUT /api/hj212/sites/{site}` (stored in `hj212_reporting_sites`, audited), which override the configuration
/// for their site: a platform assigns a site's MN when it activates it (2025), and waiting for a restart to use it is not
/// needed. Platforms themselves (address, password) stay configuration. <see cref="Changed"/> lets the forwarder reconnect.
/// </summary>
public sealed class ReportingSites(FleetDatabase database, SiteRegistry registry, IOptions<ForwardingOptions> options, TimeProvider clock)
{
    private IReadOnlyDictionary<string, ReportingSiteView>? _current;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _setting = new();

    /// <summary>Every reporting site by id.</summary>
    public IReadOnlyDictionary<string, ReportingSiteView> Current => Volatile.Read(ref _current) ?? Load();

    /// <summary>The platform a site reports to, and its MN, or null.</summary>
    public (ReportingSite Site, PlatformOptions Platform)? Of(string site) =>
        Current.TryGetValue(site, out var s) && options.Value.Platforms.TryGetValue(s.Platform, out var p)
            ? (new ReportingSite { Site = s.Site, Platform = s.Platform, Mn = s.Mn }, p) : null;

    /// <summary>Completes at the next change (read it before <see cref="Current"/> so no change is missed).</summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

    /// <summary>Sets where a site reports and under which MN; a bad platform or MN is a 400, an unknown site a 404 (null),
    /// an MN another site reports under a 409. Returns the site's setting before (null: none) and after.</summary>
    public (ReportingSiteView? Before, ReportingSiteView After)? Set(string site, string? platform, string? mn, string by)
    {
        if (platform is null || !options.Value.Platforms.ContainsKey(platform))
            throw new RefusalException($"`platform` must be a configured platform ({string.Join(", ", options.Value.Platforms.Keys)})");
        if (ReportingSite.MnProblem(mn) is { } problem) throw new RefusalException($"`mn`: {problem}");
        if (registry.GetSite(site) is null) return null;
        lock (_setting)
        {
            var before = Current.GetValueOrDefault(site);
            if (Current.Values.FirstOrDefault(s => s.Mn == mn && s.Site != site) is { } other)
                throw new RefusalException($"MN {mn} is the MN site {other.Site} reports under", StatusCodes.Status409Conflict);
            var now = clock.GetUtcNow();
            using (var connection = database.Open())
                connection.Execute(
                    """
                    INSERT INTO hj212_reporting_sites (site, platform, mn, set_at, set_by) VALUES (@site, @platform, @mn, @at, @by)
                    ON CONFLICT (site) DO UPDATE SET platform = excluded.platform, mn = excluded.mn, set_at = excluded.set_at, set_by = excluded.set_by
                    """, new { site, platform, mn, at = now.ToUnixTimeMilliseconds(), by });
            Volatile.Write(ref _current, null);
            Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            return (before, Current[site]);
        }
    }

    private IReadOnlyDictionary<string, ReportingSiteView> Load()
    {
        var sites = options.Value.Reporting.ToDictionary(s => s.Key, s => new ReportingSiteView(s.Key, s.Value.Platform, s.Value.Mn, "configuration", null, null), StringComparer.Ordinal);
        using (var connection = database.Open())
            foreach (var (site, platform, mn, setAt, setBy) in connection.Query<(string, string, string, long, string)>("SELECT site, platform, mn, set_at, set_by FROM hj212_reporting_sites"))
                sites[site] = new ReportingSiteView(site, platform, mn, "api", setBy, DateTimeOffset.FromUnixTimeMilliseconds(setAt));
        Volatile.Write(ref _current, sites);
        return sites;
    }
}
