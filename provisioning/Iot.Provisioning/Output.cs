using Iot.Contract.Factory;
using Spectre.Console;

namespace Iot.Provisioning;

/// <summary>How every command reports: one red line per error, exit codes in one place.</summary>
internal static class Output
{
    public const int Ok = 0;
    public const int Failed = 1;
    /// <summary>The claim went through but the checklist did not pass before the installer stopped.</summary>
    public const int NotCommissioned = 3;

    public static int Error(this IAnsiConsole console, string message)
    {
        console.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");
        return Failed;
    }

    public static int RowErrors(this IAnsiConsole console, IReadOnlyCollection<RowError> errors, string summary)
    {
        foreach (var e in errors) console.MarkupLine($"[red]error:[/] {Markup.Escape(e.ToString())}");
        return console.Error(summary);
    }
}
