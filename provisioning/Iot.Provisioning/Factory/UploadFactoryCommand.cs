using System.CommandLine;
using Iot.Contract.Http;
using Iot.Contract.Factory;
using Spectre.Console;

namespace Iot.Provisioning.Factory;

/// <summary><c>iot-prov upload-factory</c>: hands a factory list to the fleet, which keeps only hashes of the secrets.</summary>
internal static class UploadFactoryCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var fleet = new FleetOptions();
        var list = new Argument<FileInfo>("factory-list") { Description = "factory-list.csv written by `iot-prov factory`" };
        var command = new Command("upload-factory", "Send a factory list to the fleet (all rows or none)") { list };
        fleet.AddTo(command);
        command.SetAction((parsed, ct) => RunAsync(console, fleet, parsed, parsed.GetValue(list)!, ct));
        return command;
    }

    private static async Task<int> RunAsync(IAnsiConsole console, FleetOptions fleet, ParseResult parsed, FileInfo file, CancellationToken ct)
    {
        if (!file.Exists) return console.Error($"{file.FullName} does not exist");
        List<FactoryIdentity> identities;
        try
        {
            identities = FactoryList.Read(CsvTable.Load(file.FullName), out var errors);
            if (errors.Count > 0) return console.RowErrors(errors, $"{file.Name}: nothing was sent");
        }
        catch (CsvFormatException e)
        {
            return console.Error(e.Message);
        }
        if (identities.Count == 0) return console.Error($"{file.Name} has no gateways");

        try
        {
            using var client = fleet.Connect(parsed);
            var result = await console.Status().StartAsync($"sending {identities.Count} gateways to {client.Fleet}", _ =>
                client.UploadFactoryAsync(identities.Select(i => new FactoryDevice(i.Id, i.ClaimCode, i.BootstrapSecret)).ToList(), ct));
            console.MarkupLine($"[green]the fleet registered {result.Created} gateways[/] ({Markup.Escape(identities[0].Id)} … {Markup.Escape(identities[^1].Id)})");
            return Output.Ok;
        }
        catch (FleetException e)
        {
            return console.Error(e.Message);
        }
    }
}
