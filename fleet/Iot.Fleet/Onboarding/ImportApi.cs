using Iot.Fleet.Api;
using System.Data.Common;
using Iot.Fleet.Audit;
using Iot.Fleet.Hj212;
using Iot.Fleet.People;
using Iot.Fleet.Provisioning;
using Iot.Fleet.Registry;
using Iot.Contract.Identity;
using Iot.Contract.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Iot.Fleet.Onboarding;

/// <summary>Bulk onboarding: sites and devices from the installer's CSV files (sent by `iot-prov import`), and HJ 212
/// monitors (`monitors`, as POST /api/devices with protocol hj212 takes them), checked item by item and stored all
/// together or not at all; `dry_run=true` only checks.</summary>
public static class ImportApi
{
    public static void MapImportApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/import", Results<Ok<ImportResult>, ProblemHttpResult> (ImportRequest body, bool? dry_run, HttpContext http, SiteRegistry registry, Hj212Monitors hj212) =>
            {
                var dryRun = dry_run ?? false;
                var errors = new List<ImportItemError>();
                var sites = new List<Site>();
                for (var i = 0; i < body.Sites.Count; i++)
                {
                    try
                    {
                        var site = FactoryGateways.ToSite(body.Sites[i]);
                        var problems = SiteRegistry.Problems(site).ToList();
                        errors.AddRange(problems.Select(p => new ImportItemError("sites", i, p.Column, p.Message)));
                        if (problems.Count == 0) sites.Add(site);
                    }
                    catch (RefusalException e)
                    {
                        errors.Add(new ImportItemError("sites", i, "kind", e.Message));
                    }
                }
                for (var i = 0; i < body.Devices.Count; i++)
                    if (!DeviceId.IsValid(body.Devices[i].Id))
                        errors.Add(new ImportItemError("devices", i, "id", $"'{body.Devices[i].Id}' is not a device id ({DeviceId.Pattern})"));
                var monitors = body.Monitors ?? [];
                for (var i = 0; i < monitors.Count; i++)
                {
                    var m = monitors[i];
                    if (!DeviceId.IsValid(m.Id)) errors.Add(new ImportItemError("monitors", i, "id", $"'{m.Id}' is not a device id ({DeviceId.Pattern})"));
                    errors.AddRange(hj212.Problems(m.Mn, m.Password, m.Profile, m.Sm4Key).Select(p => new ImportItemError("monitors", i, p.Column, p.Message)));
                }
                foreach (var twice in monitors.Select((m, i) => (m.Mn, i)).GroupBy(m => m.Mn, StringComparer.Ordinal).Where(g => g.Count() > 1).SelectMany(g => g.Skip(1)))
                    errors.Add(new ImportItemError("monitors", twice.i, "mn", $"MN {twice.Mn} appears twice in the import"));
                var installer = http.User.Role() == Roles.Installer ? AuditActor.Of(http.User).Name : null;
                if (errors.Count == 0)
                    errors.AddRange(registry.Import(sites, body.Devices.Select(d => (d.Id, d.Site)).ToList(), dryRun, installer,
                            monitors.Select(m => (m.Id, m.Site, (Action<DbConnection, DbTransaction>)((c, tx) => Hj212Monitors.Insert(c, tx, m.Id, m.Mn!, m.Password!, m.Profile, m.Sm4Key))))
                                .ToList())
                        .Select(e => new ImportItemError(e.Table, e.Index, e.Column, e.Message)));
                if (errors.Count > 0)
                    return TypedResults.Problem($"{errors.Count} items cannot be imported; nothing was stored", statusCode: StatusCodes.Status422UnprocessableEntity,
                        extensions: new Dictionary<string, object?> { ["errors"] = errors });
                // Monitors' passwords and SM4 keys stay out of the audit log (it says whether a monitor encrypts).
                if (!dryRun)
                    AuditScope.Of(http).Describe("import", null, new
                    {
                        sites = body.Sites, devices = body.Devices,
                        monitors = monitors.Select(m => new { m.Id, m.Site, m.Mn, profile = m.Profile ?? "default", encrypted = m.Sm4Key is not null }),
                    });
                return TypedResults.Ok(new ImportResult(dryRun, body.Sites.Count, body.Devices.Count, monitors.Count));
            })
            .WithTags("Registry")
            .RequireRoles(Roles.Installing).Audited("registry.import")
            .WithBodyLimit(RequestLimits.BulkList);
    }
}
