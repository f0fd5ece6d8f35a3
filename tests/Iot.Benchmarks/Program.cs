using Iot.Benchmarks;

// `./iot bench <name>`: each benchmark prints its figures and the ratio to a baseline run alongside.
return args.FirstOrDefault() switch
{
    "mqtt" => await MqttBenchmark.Run(messages: Arg("--messages", 200_000), payloadBytes: Arg("--bytes", 200)),
    "ingest" => await IngestBenchmark.Run(records: Arg("--records", 200_000), devices: Arg("--devices", 100), latencySeconds: Arg("--latency-seconds", 20), warmUp: Arg("--warm-up", 80_000), history: Arg("--history", 0)),
    "broker" => await BrokerPersistenceBenchmark.Run(messages: Arg("--messages", 20_000), publishers: Arg("--publishers", 200), retained: Arg("--retained", 10_000), backlogs: [100_000, Arg("--backlog", 1_000_000)]),
    "firmware" => FirmwareBenchmark.Run(minutes: Arg("--minutes", 1000), records: Arg("--records", 50)),
    "storage" => await StorageBenchmark.Run(sites: Arg("--sites", 600), days: Arg("--days", 16), hotDays: Arg("--hot-days", 14)),
    "registration" => await RegistrationBenchmark.Run(devices: Arg("--devices", 2000), parallel: Arg("--parallel", 1)),
    "fleet" => await FleetBenchmark.Run(gateways: Arg("--gateways", 10_000), minutes: Arg("--minutes", 10), parallel: Arg("--parallel", 1),
        perProcess: Arg("--per-process", 2500), storm: !args.Contains("--no-storm"), live: Arg("--live", 50), stormMinutes: Arg("--storm-minutes", 12),
        allAtOnce: args.Contains("--all-at-once")),
    "storm" => await FleetBenchmark.Run(gateways: Arg("--gateways", 10_000), minutes: 0, parallel: Arg("--parallel", 1),
        perProcess: Arg("--per-process", 2500), storm: true, live: Arg("--live", 50), stormMinutes: Arg("--storm-minutes", 12),
        allAtOnce: args.Contains("--all-at-once")),
    "year" => await YearBenchmark.Run(gateways: Arg("--gateways", 10_000), leads: Arg("--leads", 200_000), evidence: Arg("--evidence", 20_000), samples: Arg("--samples", 500)),
    _ => Usage(),
};

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var value) ? value : fallback;
}

static int Usage()
{
    Console.Error.WriteLine("usage: ./iot bench mqtt [--messages N] [--bytes N]");
    Console.Error.WriteLine("       ./iot bench ingest [--records N] [--devices N] [--latency-seconds N] [--warm-up N] [--history N]");
    Console.Error.WriteLine("       ./iot bench broker [--messages N] [--publishers N] [--retained N] [--backlog N]");
    Console.Error.WriteLine("       ./iot bench firmware [--minutes N] [--records N]");
    Console.Error.WriteLine("       ./iot bench storage [--sites N] [--days N] [--hot-days N]");
    Console.Error.WriteLine("       ./iot bench registration [--devices N] [--parallel N]");
    Console.Error.WriteLine("       ./iot bench fleet [--gateways 10000] [--minutes 10] [--parallel 1] [--per-process 2500] [--no-storm] [--live 50] [--storm-minutes 12] [--all-at-once]");
    Console.Error.WriteLine("       ./iot bench storm [--gateways 10000] [--parallel 1] [--per-process 2500] [--live 50] [--storm-minutes 12] [--all-at-once]");
    Console.Error.WriteLine("       ./iot bench year [--gateways N] [--leads N] [--evidence N] [--samples N]");
    return 2;
}
