using Iot.Contract.Http;
using Spectre.Console;

namespace Iot.Provisioning.Claim;

/// <summary>Polls the commissioning checklist until it passes, the installer stops (Ctrl-C) or time runs out.</summary>
internal static class Checklist
{
    public static async Task<int> FollowAsync(IAnsiConsole console, FleetClient client, string deviceId, TimeSpan interval, TimeSpan timeout, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (timeout != Timeout.InfiniteTimeSpan) limit.CancelAfter(timeout);
        CommissioningReport? last = null;
        try
        {
            if (console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi)
            {
                var first = await client.GetCommissioningAsync(deviceId, limit.Token);
                last = first;
                await console.Live(ChecklistView.Render(first, null)).StartAsync(async live =>
                {
                    while (!last.Complete)
                    {
                        await Task.Delay(interval, limit.Token);
                        var (report, note) = await PollAsync(client, deviceId, last, limit.Token);
                        last = report;
                        live.UpdateTarget(ChecklistView.Render(report, note));
                    }
                });
            }
            else
            {
                // Logs and pipes cannot redraw: print the checklist whenever it changes.
                string? shown = null;
                while (true)
                {
                    var (report, note) = await PollAsync(client, deviceId, last, limit.Token);
                    last = report;
                    var text = ChecklistView.Plain(report);
                    if (text != shown) console.WriteLine($"commissioning {deviceId}:\n{text}");
                    else if (note is not null) console.WriteLine(note);
                    shown = text;
                    if (report.Complete) break;
                    await Task.Delay(interval, limit.Token);
                }
            }
        }
        catch (OperationCanceledException)
        {
            var why = ct.IsCancellationRequested ? "stopped" : "timed out";
            var open = last?.Checks.Where(c => c.Status != CommissioningCheck.Pass).Select(c => c.Label).ToList() ?? [];
            console.MarkupLine($"[yellow]{why}: {Markup.Escape(deviceId)} is claimed but not commissioned[/]"
                + (open.Count > 0 ? $"; still open: {Markup.Escape(string.Join(", ", open))}" : ""));
            return Output.NotCommissioned;
        }
        console.MarkupLine($"[green]{Markup.Escape(deviceId)} is commissioned: every check passes[/]");
        return Output.Ok;
    }

    /// <summary>One poll; a fleet that is briefly unreachable or failing keeps the last checklist with a note.</summary>
    private static async Task<(CommissioningReport Report, string? Note)> PollAsync(FleetClient client, string deviceId, CommissioningReport? last, CancellationToken ct)
    {
        try
        {
            return (await client.GetCommissioningAsync(deviceId, ct), null);
        }
        catch (FleetException e) when (last is not null && (e.Status is null || (int)e.Status >= 500))
        {
            return (last, $"fleet not answering, retrying: {e.Message}");
        }
    }
}
