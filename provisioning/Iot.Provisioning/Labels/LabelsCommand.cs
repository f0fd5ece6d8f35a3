using System.CommandLine;
using Iot.Contract.Factory;
using Spectre.Console;

namespace Iot.Provisioning.Labels;

/// <summary><c>iot-prov labels</c>: prints labels again from a factory list, e.g. for a damaged one.</summary>
internal static class LabelsCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var list = new Argument<FileInfo>("factory-list") { Description = "factory-list.csv" };
        var output = new Option<FileInfo>("--out") { Description = "The HTML sheet to write", Required = true };
        var only = new Option<string[]>("--only") { Description = "Only these device ids (repeatable)" };
        var installer = new Option<string?>("--installer-url") { Description = "The fleet's https address the claim QR links to (as `iot-prov factory --installer-url`)" };
        var command = new Command("labels", "Print claim labels again from a factory list") { list, output, only, installer };
        command.SetAction(parsed => Run(console, parsed.GetValue(list)!, parsed.GetValue(output)!, parsed.GetValue(only) ?? [], parsed.GetValue(installer)));
        return command;
    }

    private static int Run(IAnsiConsole console, FileInfo file, FileInfo output, string[] only, string? installerUrl)
    {
        Uri? installer = null;
        if (installerUrl is not null && (!Uri.TryCreate(installerUrl, UriKind.Absolute, out installer) || ClaimPayload.InstallerUrlProblem(installer) is not null))
            return console.Error($"--installer-url: {(installer is null ? $"'{installerUrl}' is not an address" : ClaimPayload.InstallerUrlProblem(installer))}");
        if (!file.Exists) return console.Error($"{file.FullName} does not exist");
        if (output.Exists) return console.Error($"{output.FullName} already exists");
        try
        {
            var identities = FactoryList.Read(CsvTable.Load(file.FullName), out var errors);
            if (errors.Count > 0) return console.RowErrors(errors, $"{file.Name} is not a valid factory list");
            var wanted = only.Select(o => o.Trim().ToUpperInvariant()).ToHashSet();
            var missing = wanted.Except(identities.Select(i => i.Id)).ToList();
            if (missing.Count > 0) return console.Error($"not in {file.Name}: {string.Join(", ", missing)}");
            var labels = identities.Where(i => wanted.Count == 0 || wanted.Contains(i.Id)).Select(i => i.GatewayLabelFor(installer)).ToList();
            if (labels.Count == 0) return console.Error($"{file.Name} has no gateways");
            File.WriteAllText(output.FullName, LabelSheet.Render(labels, $"Claim labels ({labels.Count})"));
            console.MarkupLine($"[green]{labels.Count} labels[/] in {Markup.Escape(output.FullName)}");
            return Output.Ok;
        }
        catch (CsvFormatException e)
        {
            return console.Error(e.Message);
        }
    }
}
