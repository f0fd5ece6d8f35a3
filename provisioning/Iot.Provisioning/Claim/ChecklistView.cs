using Iot.Contract.Http;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Iot.Provisioning.Claim;

/// <summary>The commissioning checklist as a table: one line per check, green when it passes.</summary>
internal static class ChecklistView
{
    public static IRenderable Render(CommissioningReport report, string? note)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"commissioning {Markup.Escape(report.DeviceId)}")
            .AddColumns("", "check", "detail");
        foreach (var check in report.Checks)
        {
            var mark = check.Status switch
            {
                CommissioningCheck.Pass => "[green]✔[/]",
                CommissioningCheck.Fail => "[red]✘[/]",
                _ => "[yellow]…[/]",
            };
            table.AddRow(mark, Markup.Escape(check.Label), Markup.Escape(check.Detail ?? check.Status));
        }
        table.Caption(report.Complete
            ? "[green]all checks pass: the gateway is commissioned[/]"
            : $"[grey]{Markup.Escape(note ?? "waiting for the gateway; Ctrl-C to stop")}[/]");
        return table;
    }

    /// <summary>A line per check for consoles that cannot redraw (logs, pipes).</summary>
    public static string Plain(CommissioningReport report) =>
        string.Join("\n", report.Checks.Select(c => $"  [{c.Status}] {c.Label}{(c.Detail is null ? "" : $": {c.Detail}")}"));
}
