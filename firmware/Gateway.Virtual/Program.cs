using System.Globalization;
using Iot.Gateway.Virtual.Simulation;

// dotnet Iot.Gateway.Virtual.dll --scenario file --mqtt-host h --mqtt-port p [--mqtt-ca pem] [--speed 60] [--state dir] [--fresh] [--factory csv] [--release-key hex]
const string Usage = "usage: Iot.Gateway.Virtual --scenario <file> --mqtt-host <host> --mqtt-port <port> [--mqtt-ca <ca.crt>] [--speed <n>] [--state <dir>] [--fresh] [--register <fleet-url> --token <admin-token> [--commission] | --kept-credentials] [--factory <factory-list.csv>] [--release-key <hex>] [--device-backoff]";

string? scenarioPath = null, host = null, state = "virtual-state", register = null, token = null, factory = null, ca = null;
var kept = false;
byte[]? releaseKey = null;
int port = 0;
double speed = 1;
bool fresh = false, commission = false, deviceBackoff = false;
for (int i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    try
    {
        switch (args[i])
        {
            case "--scenario": scenarioPath = Value(); break;
            case "--mqtt-host": host = Value(); break;
            case "--mqtt-port":
                if (!int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
                    throw new ArgumentException("--mqtt-port must be 1 to 65535");
                break;
            case "--speed":
                if (!double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out speed) || speed is <= 0 or > 100_000)
                    throw new ArgumentException("--speed must be a positive number (1 = real time)");
                break;
            case "--mqtt-ca": ca = Value(); break;
            case "--kept-credentials": kept = true; break;
            case "--state": state = Value(); break;
            case "--fresh": fresh = true; break;
            case "--device-backoff": deviceBackoff = true; break;
            case "--commission": commission = true; break;
            case "--register": register = Value(); break;
            case "--token": token = Value(); break;
            case "--factory": factory = Value(); break;
            case "--release-key":
                try
                {
                    releaseKey = Convert.FromHexString(Value());
                }
                catch (FormatException)
                {
                    releaseKey = null;
                }
                if (releaseKey is not { Length: 32 }) throw new ArgumentException("--release-key must be the 64 hex digits printed by Iot.Gateway.Release keygen");
                break;
            case "-h" or "--help":
                Console.WriteLine(Usage);
                return 0;
            default: throw new ArgumentException($"unknown option {args[i]}");
        }
    }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine($"error: {e.Message}\n{Usage}");
        return 2;
    }
}
if (register is not null && token is null)
{
    Console.Error.WriteLine($"error: --register needs --token (the fleet's admin token)\n{Usage}");
    return 2;
}
if (scenarioPath is null || host is null || port == 0)
{
    Console.Error.WriteLine($"error: --scenario, --mqtt-host and --mqtt-port are required\n{Usage}");
    return 2;
}

Scenario scenario;
var logins = new Dictionary<string, DeviceLogin>(StringComparer.Ordinal);
try
{
    scenario = Scenario.Load(scenarioPath);
    if (factory is not null)
    {
        // Factory-fresh gateways: the scenario's devices that are in the list start unclaimed with their bootstrap secret.
        var fromFactory = FleetRegistration.FromFactoryList(factory);
        foreach (var device in scenario.Devices)
        {
            if (fromFactory.TryGetValue(device.Id, out var login)) logins[device.Id] = login;
        }
        if (logins.Count == 0) throw new InvalidDataException($"no device of the scenario is in {factory}");
    }
}
catch (Exception e) when (e is ScenarioException or IOException or UnauthorizedAccessException or Iot.Contract.Factory.CsvFormatException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});

if (kept)
{
    foreach (var (id, login) in FleetRegistration.KeptLogins(scenario, state)) logins[id] = login;
    Console.WriteLine($"{logins.Count} of {scenario.Devices.Count} gateways have credentials kept in {Path.GetFullPath(state)}");
}
if (register is not null)
{
    try
    {
        var registered = await FleetRegistration.RegisterAsync(scenario, new Uri(register), token!, state, Console.WriteLine, stop.Token,
            commissionedFrom: commission ? DateTimeOffset.UtcNow.AddDays(-2) : null);
        foreach (var (id, login) in registered) logins[id] = login;
    }
    catch (Exception e) when (e is HttpRequestException or UriFormatException or TaskCanceledException)
    {
        Console.Error.WriteLine($"error: cannot register the gateways with the fleet: {e.Message}");
        return 1;
    }
}

await using var runner = new FleetRunner(scenario, new FleetOptions
{
    Host = host, Port = port, Speed = speed, StateDirectory = state, Fresh = fresh, Log = Console.WriteLine, ReleaseKey = releaseKey,
    Logins = logins, CaFile = ca, DeviceBackoff = deviceBackoff,
});
Console.WriteLine($"{scenario.Devices.Count} gateways, {scenario.DurationSeconds / 60} simulated minutes from " +
    $"{DateTimeOffset.FromUnixTimeSeconds(runner.StartUtc):yyyy-MM-dd HH:mm}Z at {speed}x, broker {host}:{port}{(ca is null ? "" : " over TLS")}, state in {Path.GetFullPath(state)}");
try
{
    var summary = await runner.RunAsync(cancellationToken: stop.Token);
    return summary.Drained ? 0 : 1;
}
catch (OperationCanceledException)
{
    Console.WriteLine("stopped; the gateways go offline (will message)");
    return 0;
}
