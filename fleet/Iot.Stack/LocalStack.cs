using System.Runtime.InteropServices;

namespace Iot.Stack;

/// <summary>The whole product on one machine: broker, database and (as they land) the fleet and
/// virtual gateways, with state under .iot/ so a second run finds its data again.</summary>
public sealed class LocalStack(string stateDirectory)
{
    /// <summary>Starts everything, prints the addresses and blocks until Ctrl-C or SIGTERM.</summary>
    public int Run(bool demo)
    {
        var endpointsPath = Path.Combine(stateDirectory, "endpoints.json");
        using var stop = new ManualResetEventSlim();
        // Handle SIGINT and SIGTERM ourselves so the servers are stopped before we exit.
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });

        Console.WriteLine("Starting Mosquitto ...");
        using var broker = MosquittoBroker.Start(new MosquittoOptions
        {
            Port = LocalPort.PreferredOrFree(1883),
            StateDirectory = Path.Combine(stateDirectory, "mosquitto"),
            Persistence = true,
        });
        Console.WriteLine("Starting InfluxDB ...");
        using var influx = InfluxServer.Start(new InfluxOptions
        {
            Port = LocalPort.PreferredOrFree(8086),
            StateDirectory = Path.Combine(stateDirectory, "influxdb"),
        });

        Console.WriteLine("Starting the fleet ...");
        var tokenPath = Path.Combine(stateDirectory, "admin_token");
        if (!File.Exists(tokenPath)) File.WriteAllText(tokenPath, Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)));
        using var fleet = FleetServer.Start(new FleetOptions
        {
            Port = LocalPort.PreferredOrFree(8080),
            MqttHost = broker.Host,
            MqttPort = broker.Port,
            InfluxUrl = influx.Url,
            StateDirectory = Path.Combine(stateDirectory, "fleet"),
            AdminToken = File.ReadAllText(tokenPath).Trim(),
        });

        var endpoints = new Endpoints
        {
            MqttPort = broker.Port,
            InfluxUrl = influx.Url.ToString().TrimEnd('/'),
            FleetUrl = fleet.Url.ToString().TrimEnd('/'),
            AdminToken = fleet.Options.AdminToken,
        };
        endpoints.Write(endpointsPath);

        Console.WriteLine();
        Console.WriteLine($"  MQTT broker  mqtt://{broker.Host}:{broker.Port}");
        Console.WriteLine($"  InfluxDB     {endpoints.InfluxUrl}");
        Console.WriteLine($"  Fleet        {endpoints.FleetUrl}   (API: /openapi/v1.json, leads: /api/leads, health: /healthz)");
        Console.WriteLine($"  Admin token  {endpoints.AdminToken}");
        Console.WriteLine($"  Endpoints    {endpointsPath}");
        Console.WriteLine();
        Console.WriteLine("Demo gateways arrive with the virtual gateway (firmware issue); the fleet is waiting for devices.");
        if (!demo) Console.WriteLine("--no-demo: no virtual gateways will be started.");
        Console.WriteLine("Press Ctrl-C to stop.");

        stop.Wait();
        Console.WriteLine("Stopping ...");
        File.Delete(endpointsPath);
        return 0;
    }
}
