using Iot.Stack;

// `./iot up`: the project's servers with state under .iot/, until Ctrl-C.
var root = Environment.GetEnvironmentVariable("IOT_ROOT") ?? Directory.GetCurrentDirectory();
var command = args.FirstOrDefault();
// The production install's generated configuration files (fleet/deploy/README.md).
if (command is "production-broker-config" or "production-influx-config")
{
    Console.Write(command == "production-broker-config" ? ProductionInstall.BrokerConfig() : ProductionInstall.InfluxConfig());
    return 0;
}
if (command != "up")
{
    Console.Error.WriteLine("usage: Iot.Stack up [--no-demo] [--db sqlite|postgres] | Iot.Stack production-broker-config | Iot.Stack production-influx-config");
    return 2;
}
var demo = !args.Contains("--no-demo");
var db = args.SkipWhile(a => a != "--db").Skip(1).FirstOrDefault() ?? "sqlite";
if (db is not ("sqlite" or "postgres"))
{
    Console.Error.WriteLine($"--db is sqlite (the default) or postgres, not '{db}'");
    return 2;
}
return new LocalStack(Path.Combine(root, ".iot")).Run(demo, postgres: db == "postgres");
