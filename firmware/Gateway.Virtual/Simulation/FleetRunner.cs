using System.Diagnostics;

namespace Iot.Gateway.Virtual.Simulation;

/// <summary>How to run a scenario.</summary>
public sealed class FleetOptions
{
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 1883;
    /// <summary>Simulated seconds per real second; the simulated clock never runs ahead of the wall clock.</summary>
    public double Speed { get; init; } = 1;
    /// <summary>Folder holding one flash file per gateway.</summary>
    public string StateDirectory { get; init; } = "virtual-state";
    /// <summary>Delete the gateways' flash files first (boot counter and seq start again at 1).</summary>
    public bool Fresh { get; init; }
    /// <summary>Unix seconds of scenario time 0; null: from the scenario's start and the speed.</summary>
    public long? StartUtc { get; init; }
    /// <summary>Progress lines.</summary>
    public Action<string>? Log { get; init; }
    /// <summary>Release public key (32 bytes): over-the-air updates on, from the gateways' cmd topics; null: off.</summary>
    public byte[]? ReleaseKey { get; init; }
    /// <summary>Simulated seconds a new firmware version has to prove healthy before it is rolled back.</summary>
    public int OtaTrialSeconds { get; init; } = 600;
    /// <summary>Broker logins by device id (own credentials, or a bootstrap secret from the factory list); others connect anonymously.</summary>
    public IReadOnlyDictionary<string, DeviceLogin>? Logins { get; init; }
    /// <summary>The CA (PEM file) of the broker's TLS listener: connect over TLS trusting only it; null: plain TCP.</summary>
    public string? CaFile { get; init; }
    /// <summary>Reconnect with the ESP32's backoff (2 s doubling to 300 s) instead of the quick one (1 s to 30 s) that
    /// keeps accelerated runs short; for measuring how a fleet comes back after an outage.</summary>
    public bool DeviceBackoff { get; init; }
}

/// <summary>What a run did.</summary>
public sealed record RunSummary(int Gateways, long RecordsWritten, long RecordsDelivered, bool Drained, TimeSpan Elapsed);

/// <summary>
/// Runs every gateway of a scenario in one process from one scheduler loop: each simulated second, every gateway
/// takes its tick in turn (the firmware's main loop never blocks; MQTT is async underneath). No thread per gateway.
/// </summary>
public sealed class FleetRunner : IAsyncDisposable
{
    private readonly Scenario _scenario;
    private readonly FleetOptions _options;
    private readonly List<VirtualGateway> _gateways = [];
    private long _second;

    public FleetRunner(Scenario scenario, FleetOptions options)
    {
        if (options.Speed <= 0) throw new ArgumentOutOfRangeException(nameof(options), "speed must be positive");
        _scenario = scenario;
        _options = options;
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        long offset = scenario.StartOffsetSeconds ?? (options.Speed > 1 ? -scenario.DurationSeconds : 0);
        long start = options.StartUtc ?? now + offset;
        StartUtc = start - (start % 60 + 60) % 60; // records then start on whole minutes
        Directory.CreateDirectory(options.StateDirectory);
        var ca = options.CaFile is null ? null : System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(options.CaFile));
        foreach (var device in scenario.Devices)
        {
            if (options.Fresh)
            {
                File.Delete(Path.Combine(options.StateDirectory, device.Id + ".flash"));
                File.Delete(Path.Combine(options.StateDirectory, device.Id + ".ota.flash"));
                File.Delete(Path.Combine(options.StateDirectory, device.Id + ".login.flash"));
                if (Directory.Exists(Path.Combine(options.StateDirectory, device.Id + ".firmware")))
                    Directory.Delete(Path.Combine(options.StateDirectory, device.Id + ".firmware"), recursive: true);
            }
            _gateways.Add(new VirtualGateway(device, StartUtc, options.Host, options.Port, options.StateDirectory, options.ReleaseKey, options.OtaTrialSeconds,
                options.Logins?.GetValueOrDefault(device.Id), ca, options.DeviceBackoff));
        }
    }

    /// <summary>Simulated seconds per real second while replaying history at speed 1.</summary>
    public const double CatchUpSpeed = 120;

    /// <summary>Unix seconds of scenario time 0 (a whole minute).</summary>
    public long StartUtc { get; }

    public IReadOnlyList<VirtualGateway> Gateways => _gateways;

    /// <summary>Runs the scenario to its end, then lets every gateway deliver what it holds (up to drainTimeout).</summary>
    public async Task<RunSummary> RunAsync(TimeSpan? drainTimeout = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var nextLog = TimeSpan.FromSeconds(10);
        // Simulated time before the run began (a scenario starting in the past) is history: it replays at the
        // requested speed, or at CatchUpSpeed when that is real time, so a live demo can open with leads.
        double catchUp = _options.Speed > 1 ? _options.Speed : CatchUpSpeed;
        long history = Math.Max(0, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - StartUtc);
        double Due(long s) => s <= history ? s / catchUp : history / catchUp + (s - history) / _options.Speed;
        long end = _scenario.DurationSeconds; // the tick at `end` closes the last minute
        int sinceYield = 0;
        while (_second <= end)
        {
            double wait = Math.Max(Due(_second) - clock.Elapsed.TotalSeconds, StartUtc + _second - UnixNow());
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(wait, 0.5)), cancellationToken).ConfigureAwait(false);
                sinceYield = 0;
                continue;
            }
            foreach (var gateway in _gateways) gateway.Step(_second);
            _second++;
            // Catching up: give socket completions a turn now and then.
            if ((sinceYield += _gateways.Count) >= 2000)
            {
                sinceYield = 0;
                await Task.Yield();
            }
            if (clock.Elapsed >= nextLog)
            {
                nextLog += TimeSpan.FromSeconds(10);
                Report(clock.Elapsed);
            }
        }
        bool drained = await DrainAsync(drainTimeout ?? TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        var summary = new RunSummary(_gateways.Count, _gateways.Sum(g => (long)g.RecordsWritten), Delivered(), drained, clock.Elapsed);
        _options.Log?.Invoke($"done: {summary.Gateways} gateways, {summary.RecordsWritten} records written, {summary.RecordsDelivered} delivered, " +
            $"{(drained ? "all delivered" : "some still buffered")}, {summary.Elapsed.TotalSeconds:0.0} s");
        return summary;
    }

    /// <summary>Serves the network without new records until every journal and outbox is empty; false on timeout.</summary>
    public async Task<bool> DrainAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        long from = _second;
        while (true)
        {
            // Simulated time goes on (timeouts, reconnect backoff), still never ahead of the wall clock.
            long s = Math.Min(from + (long)(clock.Elapsed.TotalSeconds * _options.Speed), (long)UnixNow() - StartUtc);
            s = Math.Max(s, from);
            bool all = true;
            foreach (var gateway in _gateways)
            {
                gateway.Pump(s);
                all &= gateway.Drained;
            }
            if (all) return true;
            if (clock.Elapsed > timeout) return false;
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Disconnects every gateway with its will (the fleet sees them go offline) and closes the flash files.</summary>
    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_gateways.Select(g => g.DisposeAsync().AsTask())).ConfigureAwait(false);
    }

    private long Delivered() => _gateways.Sum(g => (long)g.RecordsDelivered);

    private void Report(TimeSpan elapsed)
    {
        int connected = _gateways.Count(g => g.Link.IsConnected);
        long buffered = _gateways.Sum(g => (long)(g.Runtime?.Buffered ?? 0));
        _options.Log?.Invoke($"{elapsed.TotalSeconds,6:0} s  sim {DateTimeOffset.FromUnixTimeSeconds(StartUtc + _second):yyyy-MM-dd HH:mm:ss}Z  " +
            $"connected {connected}/{_gateways.Count}  records {_gateways.Sum(g => (long)g.RecordsWritten)}  buffered {buffered}");
    }

    private static double UnixNow() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
}
