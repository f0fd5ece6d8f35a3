using System.CommandLine;
using Iot.Contract.Identity;
using Spectre.Console;

namespace Iot.Provisioning.Claim;

/// <summary><c>iot-prov checklist</c>: follows the commissioning checklist of a gateway claimed earlier.</summary>
internal static class ChecklistCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var fleet = new FleetOptions();
        var device = new Argument<string>("device") { Description = "The gateway's id, e.g. NS-000123" };
        var interval = new Option<double>("--interval") { Description = "Seconds between updates", DefaultValueFactory = _ => 3 };
        var timeout = new Option<double?>("--timeout") { Description = "Stop after this many minutes" };
        var command = new Command("checklist", "Follow the commissioning checklist of a claimed gateway") { device, interval, timeout };
        fleet.AddTo(command);
        command.SetAction(async (parsed, ct) =>
        {
            var id = parsed.GetValue(device)!.Trim().ToUpperInvariant();
            if (!DeviceId.IsValid(id)) return console.Error($"'{id}' is not a valid device id ({DeviceId.Pattern})");
            try
            {
                using var client = fleet.Connect(parsed);
                var wait = parsed.GetValue(timeout) is { } minutes ? TimeSpan.FromMinutes(minutes) : Timeout.InfiniteTimeSpan;
                return await Checklist.FollowAsync(console, client, id, TimeSpan.FromSeconds(Math.Max(0.1, parsed.GetValue(interval))), wait, ct);
            }
            catch (FleetException e)
            {
                return console.Error(e.Message);
            }
        });
        return command;
    }
}
