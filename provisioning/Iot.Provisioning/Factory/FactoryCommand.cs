using System.CommandLine;
using Iot.Contract.Factory;
using Iot.Provisioning.Labels;
using Spectre.Console;

namespace Iot.Provisioning.Factory;

/// <summary><c>iot-prov factory</c>: a batch of identities, the secret factory list, each gateway's part of its device.json
/// for the flashing station, and the label sheet.</summary>
internal static class FactoryCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var count = new Option<int>("--count") { Description = "How many gateways", Required = true };
        var prefix = new Option<string>("--prefix") { Description = "Id prefix, e.g. NS (ids become NS-000001)", Required = true };
        var start = new Option<long>("--start") { Description = "First serial", DefaultValueFactory = _ => 1 };
        var digits = new Option<int>("--digits") { Description = "Serial digits (zero-padded)", DefaultValueFactory = _ => 6 };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for factory-list.csv, device-json/ and labels.html", Required = true };
        var existing = new Option<FileInfo[]>("--existing")
        {
            Description = "Earlier factory lists: their ids and claim codes are not given out again (repeatable)",
        };
        var installer = new Option<string?>("--installer-url")
        {
            Description = "The fleet's https address: each QR label links to its installer page with the claim code, so any phone camera or WeChat opens it",
        };
        var command = new Command("factory", "Generate gateway identities, the factory list and device.json parts (secret) and printable QR labels")
        {
            count, prefix, start, digits, output, existing, installer,
        };
        command.SetAction(parsed => Run(console, parsed.GetValue(count), parsed.GetValue(prefix)!.Trim().ToUpperInvariant(),
            parsed.GetValue(start), parsed.GetValue(digits), parsed.GetValue(output)!, parsed.GetValue(existing) ?? [], parsed.GetValue(installer)));
        return command;
    }

    private static int Run(IAnsiConsole console, int count, string prefix, long start, int digits, DirectoryInfo output, FileInfo[] existing, string? installerUrl)
    {
        Uri? installer = null;
        if (installerUrl is not null && (!Uri.TryCreate(installerUrl, UriKind.Absolute, out installer) || ClaimPayload.InstallerUrlProblem(installer) is not null))
            return console.Error($"--installer-url: {(installer is null ? $"'{installerUrl}' is not an address" : ClaimPayload.InstallerUrlProblem(installer))}");
        if (installer is null)
            console.MarkupLine("[yellow]no --installer-url: the labels hold iotclaim: text, which a phone camera or WeChat shows as text; the installer page's scanner still reads it[/]");
        if (count is < 1 or > 100_000) return console.Error("--count must be between 1 and 100000");
        if (digits is < 1 or > 12) return console.Error("--digits must be between 1 and 12");
        var listPath = Path.Combine(output.FullName, FactoryList.FileName);
        var labelsPath = Path.Combine(output.FullName, LabelSheet.FileName);
        var deviceJsonPath = Path.Combine(output.FullName, DeviceJsonFiles.FolderName);
        foreach (var path in new[] { listPath, labelsPath, deviceJsonPath }.Where(p => File.Exists(p) || Directory.Exists(p)))
            return console.Error($"{path} already exists: a factory list is never overwritten, choose another --out");

        var takenIds = new HashSet<string>();
        var takenCodes = new HashSet<string>();
        foreach (var file in existing)
        {
            if (!file.Exists) return console.Error($"--existing {file.FullName} does not exist");
            try
            {
                var earlier = FactoryList.Read(CsvTable.Load(file.FullName), out var errors);
                if (errors.Count > 0) return console.RowErrors(errors, $"{file.Name} is not a valid factory list");
                takenIds.UnionWith(earlier.Select(i => i.Id));
                takenCodes.UnionWith(earlier.Select(i => i.ClaimCode));
            }
            catch (CsvFormatException e)
            {
                return console.Error(e.Message);
            }
        }

        List<FactoryIdentity> batch = [];
        string sheet = "";
        try
        {
            console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(progress =>
                {
                    var identities = progress.AddTask("identities", maxValue: count);
                    var labels = progress.AddTask("labels", maxValue: count);
                    batch = FactoryBatch.Generate(prefix, start, count, digits, DateTimeOffset.UtcNow, takenIds, takenCodes,
                        done => identities.Value = done);
                    sheet = LabelSheet.Render(batch.Select(i => i.GatewayLabelFor(installer)).ToList(), $"Claim labels {batch[0].Id} – {batch[^1].Id}",
                        done => labels.Value = done);
                });
        }
        catch (ArgumentException e)
        {
            return console.Error(e.Message.Split(" (Parameter")[0]);
        }

        output.Create();
        try
        {
            FactoryList.Write(listPath, batch);
            DeviceJsonFiles.Write(deviceJsonPath, batch);
            using var labels = new FileStream(labelsPath, FileMode.CreateNew, FileAccess.Write);
            using var writer = new StreamWriter(labels, new System.Text.UTF8Encoding(false));
            writer.Write(sheet);
        }
        catch (IOException e)
        {
            return console.Error($"could not write the output: {e.Message}");
        }

        console.MarkupLine($"[green]{batch.Count} gateways[/] {Markup.Escape(batch[0].Id)} … {Markup.Escape(batch[^1].Id)}");
        console.MarkupLine($"  {Markup.Escape(listPath)}  [yellow]SECRET[/]: bootstrap secrets, owner-only (0600). Upload it with `iot-prov upload-factory`, flash each gateway, then keep it offline.");
        console.MarkupLine($"  {Markup.Escape(deviceJsonPath)}{Path.DirectorySeparatorChar}  [yellow]SECRET[/]: one {{id}}.json per gateway (id, bootstrap_secret, ap_password) for the flashing station, which adds broker, port, tls and release_key; delete it after flashing.");
        console.MarkupLine($"  {Markup.Escape(labelsPath)}  labels to print (A4, 100 %): no bootstrap secrets on them. The setup hotspot's password is on each label on purpose: the hotspot only runs while someone holds the button inside the lid (or at first power-up, before the gateway knows a network).");
        return Output.Ok;
    }
}
