using System.Globalization;
using Iot.Contract.Factory;
using Iot.Contract.Http;
using Iot.Contract.Identity;
using Iot.Contract;
using Iot.Provisioning.Sites;

namespace Iot.Provisioning.Import;

/// <summary>A checked import: the request to send and, for each item, the CSV row it came from.</summary>
public sealed record ImportPlan(ImportRequest Request, IReadOnlyList<int> SiteRows, IReadOnlyList<int> DeviceRows,
    IReadOnlyList<RowError> Errors, string SitesFile, string DevicesFile)
{
    /// <summary>Names the CSV row behind an item the fleet refused.</summary>
    public RowError ToRowError(ImportItemError error)
    {
        var (file, rows) = error.Table == "sites" ? (SitesFile, SiteRows) : (DevicesFile, DeviceRows);
        var row = error.Index >= 0 && error.Index < rows.Count ? rows[error.Index] : 0;
        return new RowError(file, row, error.Column, error.Message);
    }
}

/// <summary>
/// Bulk onboarding from sites.csv and devices.csv (columns in provisioning/README.md). Every row is
/// checked before anything is sent, so a bad file is fixed first and never half-imported.
/// </summary>
public static class ImportBatch
{
    public static readonly IReadOnlyList<string> SiteRequired = ["id", "name", "kind", "lat", "lon"];
    public static readonly IReadOnlyList<string> SiteOptional = ["grid", "business_hours", "profile", "timezone"];
    public static readonly IReadOnlyList<string> DeviceRequired = ["id", "site"];

    /// <param name="fleetSites">ids of the sites the fleet already has: devices may name them, new sites may not.</param>
    /// <param name="rowChecked">called after each row, for a progress bar.</param>
    public static ImportPlan Check(CsvTable sites, CsvTable devices, IReadOnlySet<string> fleetSites, Action? rowChecked = null)
    {
        var errors = new List<RowError>();
        var siteSpecs = new List<SiteSpec>();
        var siteRows = new List<int>();
        var newSites = new Dictionary<string, int>();

        var sitesHeader = sites.CheckHeader([.. SiteRequired], [.. SiteOptional]);
        errors.AddRange(sitesHeader);
        if (sitesHeader.Count == 0)
        {
            foreach (var row in sites.Rows)
            {
                var before = errors.Count;
                var site = ReadSite(sites, row, errors);
                if (site is not null)
                {
                    errors.AddRange(SiteSpecCheck.Problems(site).Select(p => new RowError(sites.File, row.Row, p.Column, p.Message)));
                    if (newSites.TryGetValue(site.Id, out var first))
                        errors.Add(new(sites.File, row.Row, "id", $"site {site.Id} already appears in row {first}"));
                    else if (fleetSites.Contains(site.Id))
                        errors.Add(new(sites.File, row.Row, "id", $"site {site.Id} already exists in the fleet"));
                    else if (DeviceId.IsValid(site.Id))
                        newSites[site.Id] = row.Row;
                }
                if (errors.Count == before && site is not null)
                {
                    siteSpecs.Add(site);
                    siteRows.Add(row.Row);
                }
                rowChecked?.Invoke();
            }
        }

        var assignments = new List<DeviceAssignment>();
        var deviceRows = new List<int>();
        var seenDevices = new Dictionary<string, int>();
        var devicesHeader = devices.CheckHeader([.. DeviceRequired], []);
        errors.AddRange(devicesHeader);
        if (devicesHeader.Count == 0)
        {
            foreach (var row in devices.Rows)
            {
                var before = errors.Count;
                var id = devices.Value(row, "id");
                var site = devices.Value(row, "site");
                if (!DeviceId.IsValid(id)) errors.Add(new(devices.File, row.Row, "id", $"'{id}' is not a valid device id ({DeviceId.Pattern})"));
                else if (seenDevices.TryGetValue(id, out var first)) errors.Add(new(devices.File, row.Row, "id", $"device {id} already appears in row {first}"));
                else seenDevices[id] = row.Row;
                if (site.Length == 0) errors.Add(new(devices.File, row.Row, "site", "every device needs a site"));
                else if (!newSites.ContainsKey(site) && !fleetSites.Contains(site) && !sites.Rows.Any(r => sites.Value(r, "id") == site))
                    errors.Add(new(devices.File, row.Row, "site", $"unknown site '{site}': not in {sites.File} and not in the fleet"));
                if (errors.Count == before)
                {
                    assignments.Add(new DeviceAssignment(id, site));
                    deviceRows.Add(row.Row);
                }
                rowChecked?.Invoke();
            }
        }

        // A file that is not a table at all has no rows to blame; keep the order the rows were read in.
        var sorted = errors.OrderBy(e => e.File == sites.File ? 0 : 1).ThenBy(e => e.Row).ToList();
        return new ImportPlan(new ImportRequest(siteSpecs, assignments), siteRows, deviceRows, sorted, sites.File, devices.File);
    }

    private static SiteSpec? ReadSite(CsvTable table, CsvRow row, List<RowError> errors)
    {
        var ok = true;
        var lat = Coordinate("lat");
        var lon = Coordinate("lon");
        var hours = BusinessHoursText.Parse(table.Value(row, "business_hours"), out var hoursError);
        if (hours is null)
        {
            errors.Add(new(table.File, row.Row, "business_hours", hoursError));
            ok = false;
        }
        if (!ok) return null;
        return new SiteSpec(table.Value(row, "id"), table.Value(row, "name"), table.Value(row, "kind").ToLowerInvariant(), lat, lon,
            Optional("grid"), hours is { Count: > 0 } ? hours : null, Optional("profile"), Optional("timezone"));

        double Coordinate(string column)
        {
            var text = table.Value(row, column);
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)) return value;
            errors.Add(new(table.File, row.Row, column, text.Length == 0 ? "coordinate is missing" : $"'{text}' is not a number of degrees (use a dot: 30.2741)"));
            ok = false;
            return double.NaN;
        }

        string? Optional(string column) => table.Value(row, column) is { Length: > 0 } value ? value : null;
    }
}
