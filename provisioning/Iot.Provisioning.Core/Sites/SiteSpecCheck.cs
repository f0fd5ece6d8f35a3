using Iot.Contract.Http;
using Iot.Contract.Identity;
using Iot.Contract;

namespace Iot.Provisioning.Sites;

/// <summary>A field of a site that is not acceptable, named by its column (= JSON) name.</summary>
public sealed record FieldProblem(string Column, string Message);

/// <summary>The checks a new site passes before it is sent (the fleet checks again: profiles, time zones).</summary>
public static class SiteSpecCheck
{
    public static List<FieldProblem> Problems(SiteSpec site)
    {
        var problems = new List<FieldProblem>();
        if (!DeviceId.IsValid(site.Id)) problems.Add(new("id", $"'{site.Id}' is not a valid site id ({DeviceId.Pattern})"));
        if (string.IsNullOrWhiteSpace(site.Name)) problems.Add(new("name", "a site needs a name"));
        if (!SiteKinds.All.Contains(site.Kind))
            problems.Add(new("kind", $"unknown kind '{site.Kind}' (expected {string.Join(", ", SiteKinds.All)})"));
        if (double.IsNaN(site.Lat) || site.Lat is < -90 or > 90) problems.Add(new("lat", $"latitude {site.Lat} is not between -90 and 90"));
        if (double.IsNaN(site.Lon) || site.Lon is < -180 or > 180) problems.Add(new("lon", $"longitude {site.Lon} is not between -180 and 180"));
        if (site.Lat == 0 && site.Lon == 0) problems.Add(new("lat", "0,0 is not a place we monitor: coordinates are missing"));
        return problems;
    }
}
