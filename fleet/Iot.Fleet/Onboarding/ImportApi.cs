using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.People;
using Iot.Fleet.Provisioning;
using Iot.Fleet.Registry;
using Iot.Provisioning;
using Iot.Provisioning.Contract;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Iot.Fleet.Onboarding;

/// <summary>Bulk onboarding: sites and devices from the installer's CSV files (sent by `iot-prov import`),
/// checked item by item and stored all together or not at all; `dry_run=true` only checks.</summary>
public static class ImportApi
{
    public static void MapImportApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/import", Results<Ok<ImportResult>, ProblemHttpResult> (ImportRequest body, bool? dry_run, HttpContext http, SiteRegistry registry) =>
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
                var installer = http.User.Role() == Roles.Installer ? AuditActor.Of(http.User).Name : null;
                if (errors.Count == 0)
                    errors.AddRange(registry.Import(sites, body.Devices.Select(d => (d.Id, d.Site)).ToList(), dryRun, installer)
                        .Select(e => new ImportItemError(e.Table, e.Index, e.Column, e.Message)));
                if (errors.Count > 0)
                    return TypedResults.Problem($"{errors.Count} items cannot be imported; nothing was stored", statusCode: StatusCodes.Status422UnprocessableEntity,
                        extensions: new Dictionary<string, object?> { ["errors"] = errors });
                if (!dryRun) AuditScope.Of(http).Describe("import", null, body);
                return TypedResults.Ok(new ImportResult(dryRun, body.Sites.Count, body.Devices.Count));
            })
            .WithTags("Registry")
            .RequireRoles(Roles.Installing).Audited("registry.import")
            .WithBodyLimit(RequestLimits.BulkList);
    }
}
