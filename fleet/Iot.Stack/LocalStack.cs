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

        var endpoints = new Endpoints { MqttPort = broker.Port, InfluxUrl = influx.Url.ToString().TrimEnd('/') };
        endpoints.Write(endpointsPath);

        Console.WriteLine();
        Console.WriteLine($"  MQTT broker  mqtt://{broker.Host}:{broker.Port}");
        Console.WriteLine($"  InfluxDB     {endpoints.InfluxUrl}");
        Console.WriteLine($"  Endpoints    {endpointsPath}");
        Console.WriteLine();
        Console.WriteLine("The fleet service and the demo gateways are not built yet (see the issues); only the broker and database run.");
        if (!demo) Console.WriteLine("--no-demo: no virtual gateways will be started.");
        Console.WriteLine("Press Ctrl-C to stop.");

        stop.Wait();
        Console.WriteLine("Stopping ...");
        File.Delete(endpointsPath);
        return 0;
    }
}
