using Iot.Benchmarks;

// `./iot bench <name>`: each benchmark prints its figures and the ratio to a baseline run alongside.
return args.FirstOrDefault() switch
{
    "mqtt" => await MqttBenchmark.Run(messages: Arg("--messages", 200_000), payloadBytes: Arg("--bytes", 200)),
    "ingest" => await IngestBenchmark.Run(records: Arg("--records", 200_000), devices: Arg("--devices", 100), latencySeconds: Arg("--latency-seconds", 20), warmUp: Arg("--warm-up", 20_000), history: Arg("--history", 0)),
    "broker" => await BrokerPersistenceBenchmark.Run(messages: Arg("--messages", 20_000), publishers: Arg("--publishers", 200), retained: Arg("--retained", 10_000), backlogs: [100_000, Arg("--backlog", 1_000_000)]),
    "firmware" => FirmwareBenchmark.Run(minutes: Arg("--minutes", 1000), records: Arg("--records", 50)),
    "storage" => await StorageBenchmark.Run(sites: Arg("--sites", 600), days: Arg("--days", 16), hotDays: Arg("--hot-days", 14)),
    "registration" => await RegistrationBenchmark.Run(devices: Arg("--devices", 2000), parallel: Arg("--parallel", 1)),
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
    return 2;
}
