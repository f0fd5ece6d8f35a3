using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Iot.Contract.Factory;

namespace Iot.Gateway.Virtual.Simulation;

/// <summary>
/// Binds a scenario's gateways to sites in the fleet (POST /api/sites, POST /api/devices), so a demo
/// raises leads without hand set-up. Each gateway gets its own site `S-{device}`; things that already
/// exist are left as they are, so running it twice is harmless. The broker credentials the fleet returns
/// for a new device are kept in the state folder (`{id}.credentials.json`) and used again when the device
/// already exists (the fleet shows a password only once), together with the device's evidence key.
/// </summary>
public static class FleetRegistration
{
    private sealed record Credentials([property: JsonPropertyName("username")] string? UserName, [property: JsonPropertyName("password")] string? Password)
    {
        /// <summary>The device's evidence key (64 hex digits) from POST /api/devices/{id}/evidence-key: its telemetry carries `mac`.</summary>
        [JsonPropertyName("evidence_key")]
        public string? EvidenceKey { get; init; }
    }

    private sealed record IssuedKey([property: JsonPropertyName("key")] string? Key);
    private sealed record RegisteredDevice([property: JsonPropertyName("credentials")] Credentials? Credentials);

    /// <summary>Registers the gateways; returns the logins to connect with (none for a fleet without broker security).</summary>
    /// <param name="commissionedFrom">When set, each new site gets an admin commissioning record valid from then (demos).</param>
    public static async Task<Dictionary<string, DeviceLogin>> RegisterAsync(Scenario scenario, Uri fleet, string adminToken, string stateDirectory,
        Action<string> log, CancellationToken cancellationToken, DateTimeOffset? commissionedFrom = null)
    {
        using var http = new HttpClient { BaseAddress = fleet, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", adminToken);
        Directory.CreateDirectory(stateDirectory);
        var logins = new Dictionary<string, DeviceLogin>(StringComparer.Ordinal);
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
            // The device before the review: an admin record covers the gateways bound to the site when it is recorded.
            var deviceAnswer = await http.PostAsJsonAsync("/api/devices", new { id = device.Id, site }, cancellationToken);
            if (commissionedFrom is { } from && siteAnswer.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict
                && (await http.GetFromJsonAsync<JsonElement>($"/api/sites/{site}/commissioning", cancellationToken)).GetProperty("total").GetInt64() == 0)
            {
                // A demo site stands for one reviewed on site; the fleet raises enforcement leads only for commissioned sites.
                var review = await http.PostAsJsonAsync($"/api/sites/{site}/commissioning",
                    new { passed = true, note = "virtual demo gateway: recorded as reviewed when registered", validFrom = from }, cancellationToken);
                if (!review.IsSuccessStatusCode)
                    throw new HttpRequestException($"the fleet refused the demo commissioning of {site}: {(int)review.StatusCode} {await review.Content.ReadAsStringAsync(cancellationToken)}");
                // And its meter, calibrated, so the demo's leads are evidence-grade (Meters/: a lead from an uncalibrated meter is not).
                await RegisterDemoMeter(http, device.Id, kind, from, cancellationToken);
            }
            foreach (var answer in new[] { siteAnswer, deviceAnswer })
            {
                if (answer.StatusCode == HttpStatusCode.Conflict) existing++;
                else if (answer.IsSuccessStatusCode) created++;
                else throw new HttpRequestException($"the fleet refused {answer.RequestMessage?.RequestUri}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync(cancellationToken)}");
            }
            var path = CredentialsPath(stateDirectory, device.Id);
            Credentials? credentials;
            if (deviceAnswer.IsSuccessStatusCode)
            {
                credentials = (await deviceAnswer.Content.ReadFromJsonAsync<RegisteredDevice>(cancellationToken))?.Credentials;
                if (credentials is { UserName.Length: > 0, Password.Length: > 0 }) WriteOwnerOnly(path, JsonSerializer.Serialize(credentials));
                else File.Delete(path); // the fleet runs without broker security: connect anonymously
            }
            else
            {
                credentials = File.Exists(path) ? JsonSerializer.Deserialize<Credentials>(File.ReadAllText(path)) : null;
                if (credentials is null)
                {
                    // Registered before, but its password is not here (a fresh state folder): ask for a new one.
                    var replaced = await http.PostAsync($"/api/devices/{device.Id}/credentials", null, cancellationToken);
                    if (replaced.IsSuccessStatusCode)
                    {
                        credentials = await replaced.Content.ReadFromJsonAsync<Credentials>(cancellationToken);
                        if (credentials is { UserName.Length: > 0, Password.Length: > 0 }) WriteOwnerOnly(path, JsonSerializer.Serialize(credentials));
                    }
                }
            }
            // The evidence key: asked for when the device is new here or its key is not in the state folder (asking again
            // retires the fleet's previous key, which this folder no longer holds anyway).
            var key = deviceAnswer.IsSuccessStatusCode ? null : credentials?.EvidenceKey;
            if (key is null)
            {
                var issued = await http.PostAsync($"/api/devices/{device.Id}/evidence-key", null, cancellationToken);
                if (issued.IsSuccessStatusCode) key = (await issued.Content.ReadFromJsonAsync<IssuedKey>(cancellationToken))?.Key;
                else log($"{device.Id}: the fleet gave no evidence key ({(int)issued.StatusCode}); its telemetry goes unproven");
                if (key is not null)
                {
                    credentials = (credentials ?? new Credentials(null, null)) with { EvidenceKey = key };
                    WriteOwnerOnly(path, JsonSerializer.Serialize(credentials));
                }
            }
            if (credentials is { UserName.Length: > 0, Password.Length: > 0 }) logins[device.Id] = new DeviceLogin(credentials.UserName, credentials.Password, EvidenceKey: key);
            else if (key is not null) logins[device.Id] = new DeviceLogin(EvidenceKey: key);
        }
        if (commissionedFrom is not null)
        {
            // A demo bureau: one squad owns each grid cell, so leads can be dispatched from the first minute.
            var grids = Enumerable.Range(0, (scenario.Devices.Count + 9) / 10).Select(g => $"G-{g + 1:D2}");
            foreach (var grid in grids)
            {
                var squad = await http.PostAsJsonAsync("/api/squads", new { id = $"SQ-{grid}", name = $"Squad {grid}", grids = new[] { grid } }, cancellationToken);
                if (!squad.IsSuccessStatusCode)
                    throw new HttpRequestException($"the fleet refused the demo squad of {grid}: {(int)squad.StatusCode} {await squad.Content.ReadAsStringAsync(cancellationToken)}");
            }
        }
        log($"registered with the fleet at {fleet}: {created} created, {existing} already there, {logins.Count(l => l.Value.UserName is not null)} with broker credentials, {logins.Count(l => l.Value.EvidenceKey is not null)} with evidence keys");
        return logins;
    }

    // A demo gateway's meter with a calibration certificate valid for a year from the commissioning.
    private static async Task RegisterDemoMeter(HttpClient http, string device, string kind, DateTimeOffset from, CancellationToken cancellationToken)
    {
        var (make, model) = kind switch { "fume" => ("Demo", "FM-1"), "noise" => ("Demo", "AWA5688"), _ => ("Demo", "DS-10") };
        var meter = await http.PostAsJsonAsync($"/api/devices/{device}/meters",
            new { kind, make, model, serial = $"SN-{device}", typeApproval = "demo", installedFrom = from }, cancellationToken);
        if (!meter.IsSuccessStatusCode)
            throw new HttpRequestException($"the fleet refused the demo meter of {device}: {(int)meter.StatusCode} {await meter.Content.ReadAsStringAsync(cancellationToken)}");
        var id = (await meter.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("id").GetInt64();
        var day = DateOnly.FromDateTime(from.UtcDateTime);
        var calibration = await http.PostAsJsonAsync($"/api/meters/{id}/calibrations",
            new { certificate = $"DEMO-{device}", institution = "demo metrology institute", method = kind == "noise" ? "JJG 188" : "comparison",
                calibratedOn = day.AddDays(-1), validUntil = day.AddYears(1) }, cancellationToken);
        if (!calibration.IsSuccessStatusCode)
            throw new HttpRequestException($"the fleet refused the demo calibration of {device}: {(int)calibration.StatusCode} {await calibration.Content.ReadAsStringAsync(cancellationToken)}");
    }

    /// <summary>The logins kept in the state folder (`{id}.credentials.json`, as <see cref="RegisterAsync"/> or
    /// <see cref="Keep"/> wrote them) for the scenario's devices, without asking the fleet.</summary>
    public static Dictionary<string, DeviceLogin> KeptLogins(Scenario scenario, string stateDirectory)
    {
        var logins = new Dictionary<string, DeviceLogin>(StringComparer.Ordinal);
        foreach (var device in scenario.Devices)
        {
            var path = CredentialsPath(stateDirectory, device.Id);
            if (!File.Exists(path)) continue;
            var c = JsonSerializer.Deserialize<Credentials>(File.ReadAllText(path));
            if (c is { UserName.Length: > 0, Password.Length: > 0 }) logins[device.Id] = new DeviceLogin(c.UserName, c.Password, EvidenceKey: c.EvidenceKey);
        }
        return logins;
    }

    /// <summary>Keeps a gateway's broker credentials in the state folder (owner-only), as registering does.</summary>
    public static void Keep(string stateDirectory, string deviceId, string userName, string password)
    {
        Directory.CreateDirectory(stateDirectory);
        WriteOwnerOnly(CredentialsPath(stateDirectory, deviceId), JsonSerializer.Serialize(new Credentials(userName, password)));
    }

    /// <summary>Where a registered gateway's broker credentials are kept.</summary>
    public static string CredentialsPath(string stateDirectory, string deviceId) => Path.Combine(stateDirectory, deviceId + ".credentials.json");

    /// <summary>
    /// Factory-fresh gateways from a factory list (`iot-prov factory`'s factory-list.csv): each starts unclaimed with
    /// its bootstrap secret. Throws InvalidDataException naming the rows that are wrong.
    /// </summary>
    public static Dictionary<string, DeviceLogin> FromFactoryList(string path)
    {
        var identities = FactoryList.Read(CsvTable.Load(path), out var errors);
        if (errors.Count > 0) throw new InvalidDataException(string.Join("; ", errors.Select(e => $"{Path.GetFileName(path)} row {e.Row}, column {e.Column}: {e.Message}")));
        return identities.ToDictionary(i => i.Id, i => new DeviceLogin(BootstrapSecret: i.BootstrapSecret), StringComparer.Ordinal);
    }

    private static void WriteOwnerOnly(string path, string text)
    {
        File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var writer = new StreamWriter(new FileStream(path, options));
        writer.Write(text);
    }
}
