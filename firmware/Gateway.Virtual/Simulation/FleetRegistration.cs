using System.Net;
using System.Net.Http.Json;

namespace Iot.Gateway.Virtual.Simulation;

/// <summary>
/// Binds a scenario's gateways to sites in the fleet (POST /api/sites, POST /api/devices), so a demo
/// raises leads without hand set-up. Each gateway gets its own site `S-{device}`; things that already
/// exist are left as they are, so running it twice is harmless.
/// </summary>
public static class FleetRegistration
{
    public static async Task RegisterAsync(Scenario scenario, Uri fleet, string adminToken, Action<string> log, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = fleet, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", adminToken);
        int created = 0, existing = 0;
        for (var i = 0; i < scenario.Devices.Count; i++)
        {
            var device = scenario.Devices[i];
            var kind = device.Site.ToString().ToLowerInvariant();
            var site = $"S-{device.Id}";
            var name = kind switch { "fume" => $"Restaurant {device.Id}", "noise" => $"Construction site {device.Id} (noise)", _ => $"Construction site {device.Id} (dust)" };
            // Grid cells of ten sites each, as a bureau's squads would own them.
            var grid = $"G-{i / 10 + 1:D2}";
            var siteAnswer = await http.PostAsJsonAsync("/api/sites", new { id = site, name, kind, timezone = "Asia/Shanghai", grid, profile = "default" }, cancellationToken);
            var deviceAnswer = await http.PostAsJsonAsync("/api/devices", new { id = device.Id, site }, cancellationToken);
            foreach (var answer in new[] { siteAnswer, deviceAnswer })
            {
                if (answer.StatusCode == HttpStatusCode.Conflict) existing++;
                else if (answer.IsSuccessStatusCode) created++;
                else throw new HttpRequestException($"the fleet refused {answer.RequestMessage?.RequestUri}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync(cancellationToken)}");
            }
        }
        log($"registered with the fleet at {fleet}: {created} created, {existing} already there");
    }
}
