using System.CommandLine;
using System.Globalization;
using Iot.Contract.Http;
using Iot.Contract.Identity;
using Iot.Contract;
using Iot.Provisioning.Sites;
using Spectre.Console;

namespace Iot.Provisioning.Claim;

/// <summary>
/// <c>iot-prov claim</c>: binds a gateway to a site by its claim code, then shows the commissioning
/// checklist until every check passes, so the installer leaves a gateway that is proven to work.
/// </summary>
internal static class ClaimCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var fleet = new FleetOptions();
        var code = new Option<string?>("--code") { Description = "The claim code on the label, e.g. ABCD-EFGH-JK" };
        var qr = new Option<string?>("--qr") { Description = "The scanned label, iotclaim:NS-000123?c=ABCD-EFGH-JK" };
        var site = new Option<string>("--site") { Description = "The site's id (an existing site, or the new one's with --create-site)", Required = true };
        var create = new Option<bool>("--create-site") { Description = "Create the site with the options below" };
        var kind = new Option<string?>("--kind") { Description = "fume (restaurant), noise or dust (construction site)" };
        kind.AcceptOnlyFromAmong([.. SiteKinds.All]);
        var name = new Option<string?>("--name") { Description = "The site's name as the bureau knows it" };
        var lat = new Option<double?>("--lat") { Description = "Latitude, WGS-84 degrees (GPS, not a Chinese map app's GCJ-02)" };
        var lon = new Option<double?>("--lon") { Description = "Longitude, WGS-84 degrees" };
        var grid = new Option<string?>("--grid") { Description = "The enforcement grid cell (网格)" };
        var hours = new Option<string?>("--hours") { Description = "Business hours, e.g. 10:00-14:00;17:00-22:00 (restaurants)" };
        var profile = new Option<string?>("--profile") { Description = "Rule profile (default: the fleet's default)" };
        var timezone = new Option<string?>("--timezone") { Description = "IANA time zone (default: the fleet's, Asia/Shanghai)" };
        var noWait = new Option<bool>("--no-wait") { Description = "Claim only; do not follow the checklist" };
        var interval = new Option<double>("--interval") { Description = "Seconds between checklist updates", DefaultValueFactory = _ => 3 };
        var timeout = new Option<double?>("--timeout") { Description = "Stop following the checklist after this many minutes" };

        var command = new Command("claim", "Claim a gateway for a site and follow its commissioning checklist")
        {
            code, qr, site, create, kind, name, lat, lon, grid, hours, profile, timezone, noWait, interval, timeout,
        };
        fleet.AddTo(command);
        command.SetAction(async (parsed, ct) =>
        {
            // Which gateway: a typed code or a scanned label, exactly one.
            var typed = parsed.GetValue(code);
            var scanned = parsed.GetValue(qr);
            if ((typed is null) == (scanned is null)) return console.Error("give the claim code with --code, or the scanned label with --qr (one of them)");
            string? labelId = null;
            string? claimCode;
            string error;
            if (scanned is not null)
            {
                var payload = ClaimPayload.Parse(scanned, out error);
                labelId = payload?.DeviceId;
                claimCode = payload?.ClaimCode;
            }
            else claimCode = ClaimCode.Normalize(typed, out error);
            if (claimCode is null) return console.Error(error);

            var siteId = parsed.GetValue(site)!.Trim().ToUpperInvariant();
            ClaimRequest request;
            if (parsed.GetValue(create))
            {
                var missing = new (Option Option, bool Missing)[]
                {
                    (kind, parsed.GetValue(kind) is null), (name, parsed.GetValue(name) is null),
                    (lat, parsed.GetValue(lat) is null), (lon, parsed.GetValue(lon) is null),
                }.Where(m => m.Missing).Select(m => m.Option.Name).ToList();
                if (missing.Count > 0) return console.Error($"--create-site needs {string.Join(", ", missing)}");
                var spans = BusinessHoursText.Parse(parsed.GetValue(hours), out var hoursError);
                if (spans is null) return console.Error($"--hours: {hoursError}");
                var spec = new SiteSpec(siteId, parsed.GetValue(name)!.Trim(), parsed.GetValue(kind)!, parsed.GetValue(lat)!.Value, parsed.GetValue(lon)!.Value,
                    parsed.GetValue(grid), spans.Count > 0 ? spans : null, parsed.GetValue(profile), parsed.GetValue(timezone));
                var problems = SiteSpecCheck.Problems(spec);
                if (problems.Count > 0) return console.Error(string.Join("; ", problems.Select(p => $"--{(p.Column == "id" ? "site" : p.Column)}: {p.Message}")));
                request = new ClaimRequest(claimCode, null, spec);
            }
            else
            {
                var siteOnly = new Option[] { kind, name, lat, lon, grid, hours, profile, timezone }.Where(o => parsed.GetResult(o) is { Implicit: false }).ToList();
                if (siteOnly.Count > 0) return console.Error($"{string.Join(", ", siteOnly.Select(o => o.Name))} describe a new site: add --create-site, or leave them out");
                if (!DeviceId.IsValid(siteId)) return console.Error($"--site '{siteId}' is not a valid site id ({DeviceId.Pattern})");
                request = new ClaimRequest(claimCode, siteId, null);
            }

            try
            {
                using var client = fleet.Connect(parsed);
                var claimed = await client.ClaimAsync(request, ct);
                if (labelId is not null && labelId != claimed.DeviceId)
                    return console.Error($"the fleet claimed {claimed.DeviceId} but the label says {labelId}: stop and call the fleet's engineers");
                console.MarkupLine($"[green]{Markup.Escape(claimed.DeviceId)} now belongs to site {Markup.Escape(claimed.SiteId)}[/]");
                if (parsed.GetValue(noWait)) return Output.Ok;
                var wait = parsed.GetValue(timeout) is { } minutes ? TimeSpan.FromMinutes(minutes) : Timeout.InfiniteTimeSpan;
                return await Checklist.FollowAsync(console, client, claimed.DeviceId, TimeSpan.FromSeconds(Math.Max(0.1, parsed.GetValue(interval))), wait, ct);
            }
            catch (FleetException e)
            {
                return console.Error(e.Message);
            }
        });
        return command;
    }
}
