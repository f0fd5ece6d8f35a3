using System.CommandLine;
using Spectre.Console;

namespace Iot.Provisioning.Tests;

/// <summary>Runs iot-prov in process with a console that records plain text.</summary>
public static class Cli
{
    public static async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 400;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var exit = await ProvisioningCli.Create(console).Parse(args)
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, timeout.Token);
        return (exit, output.ToString());
    }
}
