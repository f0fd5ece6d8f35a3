using System.CommandLine;
using Iot.Contract.Factory;
using Spectre.Console;

namespace Iot.Provisioning.Import;

/// <summary>
/// <c>iot-prov import</c>: sites and devices from CSV. Every row is checked here first; then everything
/// goes to the fleet in one request, which applies all of it or nothing.
/// </summary>
internal static class ImportCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var fleet = new FleetOptions();
        var sites = new Argument<FileInfo>("sites.csv") { Description = "Sites to create (columns in provisioning/README.md)" };
        var devices = new Argument<FileInfo>("devices.csv") { Description = "Gateways and the site each goes to" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Check everything, also on the fleet, and change nothing" };
        var command = new Command("import", "Import sites and devices from CSV, all or nothing") { sites, devices, dryRun };
        fleet.AddTo(command);
        command.SetAction((parsed, ct) => RunAsync(console, fleet, parsed, parsed.GetValue(sites)!, parsed.GetValue(devices)!, parsed.GetValue(dryRun), ct));
        return command;
    }

    private static async Task<int> RunAsync(IAnsiConsole console, FleetOptions fleet, ParseResult parsed, FileInfo sitesFile, FileInfo devicesFile,
        bool dryRun, CancellationToken ct)
    {
        foreach (var file in new[] { sitesFile, devicesFile }.Where(f => !f.Exists))
            return console.Error($"{file.FullName} does not exist");
        CsvTable sites, devices;
        try
        {
            sites = CsvTable.Load(sitesFile.FullName);
            devices = CsvTable.Load(devicesFile.FullName);
        }
        catch (CsvFormatException e)
        {
            return console.Error(e.Message);
        }

        try
        {
            using var client = fleet.Connect(parsed);
            // Devices may go to sites the fleet already has; new sites must not clash with them.
            var fleetSites = await client.GetSiteIdsAsync(ct);
            ImportPlan plan = null!;
            console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn())
                .Start(progress =>
                {
                    var rows = progress.AddTask($"checking {sites.File} and {devices.File}", maxValue: Math.Max(1, sites.Rows.Count + devices.Rows.Count));
                    plan = ImportBatch.Check(sites, devices, fleetSites, () => rows.Increment(1));
                    rows.Value = rows.MaxValue;
                });
            if (plan.Errors.Count > 0)
                return console.RowErrors(plan.Errors, $"{plan.Errors.Count} problem(s) found; nothing was sent to the fleet");

            var request = plan.Request;
            var (result, refused) = await console.Status().StartAsync(
                $"{(dryRun ? "checking" : "importing")} {request.Sites.Count} sites and {request.Devices.Count} devices on {client.Fleet}",
                _ => client.ImportAsync(request, dryRun, ct));
            if (result is null)
                return console.RowErrors(refused.Select(plan.ToRowError).ToList(), $"the fleet refused {refused.Count} row(s); nothing was imported");
            console.MarkupLine(result.DryRun
                ? $"[green]dry run passed:[/] the fleet would create {result.Sites} sites and place {result.Devices} devices; nothing was changed"
                : $"[green]imported:[/] {result.Sites} sites created, {result.Devices} devices placed");
            return Output.Ok;
        }
        catch (FleetException e)
        {
            return console.Error(e.Message);
        }
    }
}
