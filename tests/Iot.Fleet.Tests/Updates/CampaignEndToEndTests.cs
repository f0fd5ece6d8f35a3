using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net;
using System.Text.Json.Nodes;
using System.Text;
using Iot.Fleet.People;
using Iot.Gateway.Release;
using Iot.Gateway.Virtual.Simulation;
using Iot.Stack;
using Iot.Testing;
using StackFleetOptions = Iot.Stack.FleetOptions;
using VirtualFleetOptions = Iot.Gateway.Virtual.Simulation.FleetOptions;
using Xunit.Abstractions;
using Xunit;

namespace Iot.Fleet.Tests.Updates;

/// <summary>
/// OTA campaigns across 200 virtual gateways (the firmware's own updater on simulated hardware, one process) on the
/// real Mosquitto, with the fleet as its own process and a release key made here: a good release completes stage by
/// stage through a fleet crash (downloads resume with Range requests), silent gateways time out, a crash-on-boot
/// release halts at its first stage and its gateways roll back by themselves, a tampered bundle is refused, and what
/// the fleet reports is what each gateway did.
/// </summary>
public sealed class CampaignEndToEndTests(ITestOutputHelper output) : IDisposable
{
    private const int Gateways = 200;
    private const double Speed = 40; // simulated seconds per real second: a record every 1.5 s, a 300 s trial in 7.5 s
    private readonly string _dir = Directory.CreateTempSubdirectory("iot-ota-e2e-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_campaign_across_200_virtual_gateways_does_what_the_gateways_did()
    {
        var clock = Stopwatch.StartNew();
        var key = ReleaseKey.Generate();
        using var broker = MosquittoBroker.Start();
        var fleetOptions = new StackFleetOptions
        {
            MqttHost = broker.Host, MqttPort = broker.Port, InfluxUrl = new Uri("http://127.0.0.1:9"), Port = LocalPort.Free(),
            StateDirectory = Path.Combine(_dir, "fleet"), DatabaseConnectionString = Iot.Testing.TestDatabase.ForFleetServer(),
        };
        fleetOptions.Environment["Updates__ReleaseKeys__0"] = key.PublicKeyHex;
        fleetOptions.Environment["Updates__BundleBaseUrl"] = $"http://127.0.0.1:{fleetOptions.Port}";
        fleetOptions.Environment["Updates__TickSeconds"] = "0.25";
        var fleet = FleetServer.Start(fleetOptions);
        try
        {
            var scenario = Scenario.Parse($$"""
                duration: 6h
                start: -5h
                devices:
                  - id: OTA-{n}
                    count: {{Gateways}}
                    site: noise
                    jitter: 0
                    levels: {laeq: 55}
                """);
            var logins = await FleetRegistration.RegisterAsync(scenario, fleet.Url, fleetOptions.AdminToken, Path.Combine(_dir, "gateways"), output.WriteLine, CancellationToken.None);
            await using var runner = new FleetRunner(scenario, new VirtualFleetOptions
            {
                Logins = logins, // with their evidence keys
                Host = broker.Host, Port = broker.Port, StateDirectory = Path.Combine(_dir, "gateways"), Fresh = true,
                ReleaseKey = key.PublicKey, OtaTrialSeconds = 300,
            });
            var gateways = runner.Gateways.ToDictionary(g => g.Id);
            var stopped = new HashSet<string>();
            using var stop = new CancellationTokenSource();
            using var pacer = new Pacer(); // the scheduler holds its gate for each simulated second; the test takes it to pause the gateways
            var gate = pacer.Gate;
            var stepping = Task.Run(() => Step(runner, stopped, pacer, stop.Token));

            // Releases, signed here with the offline key's tool; the 1.1.0 bundle spans 13 download chunks.
            var good = Publish(key, "1.1.0", """{"version":"1.1.0","behaviour":"ok","pad":"PAD"}""".Replace("PAD", new string('x', 200_000)));
            var crash = Publish(key, "1.2.0", """{"version":"1.2.0","behaviour":"crash_on_boot"}""");
            var tampered = Publish(key, "1.3.0", """{"version":"1.3.0","behaviour":"ok"}""");
            foreach (var release in new[] { good, crash, tampered }) Assert.Equal(HttpStatusCode.Created, (await Upload(fleet, release)).StatusCode);
            // A bundle that is not the signed one is refused at the door, with the reason.
            var forged = await Upload(fleet, good, bundleBytes: Encoding.UTF8.GetBytes("""{"version":"1.1.0","behaviour":"crash_on_boot"}"""));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, forged.StatusCode);
            Assert.Contains("size_mismatch", await forged.Content.ReadAsStringAsync());

            await Eventually(fleet, async http => (await http.GetAllAsync("/api/campaigns")) is not null
                && gateways.Values.All(g => g.Link.IsConnected), "every gateway online", 90);

            // 1. The good release, stage by stage; three gateways go silent after the first stage; the fleet crashes mid-download.
            var a = await Create(fleet, new { version = "1.1.0", stages = new[] { 1, 10, 50, 100 }, haltThreshold = 0.1, healthTimeoutSeconds = 60,
                silentTimeoutSeconds = 35, resendAfterSeconds = 5 });
            await Eventually(fleet, async http => Stage(await Campaign(http, a), 1) is { } s && (int)s["succeeded"]! == 2, "stage 1 through", 90);
            var c1 = await Campaign(fleet.Http(), a);
            var lastStage = Devices(c1).Where(d => (int)d["stage"]! == 4).Select(d => (string)d["device"]!).ToList();
            await gate.WaitAsync();
            foreach (var id in lastStage.Take(3))
            {
                lock (stopped) stopped.Add(id);
                gateways[id].Link.SetNetwork(false);
            }
            gate.Release();
            // The fleet is killed while stage 2's bundles are part-way: the simulation is paused after each simulated
            // second (a bundle takes one second per 16 KiB chunk, 13 of them) until some gateway has a partial staged
            // image, and the fleet dies with the gateways still paused there.
            long size = good.Document.Size;
            var partial = await WhilePaused(pacer, () => gateways.Values.Where(g => g.Slots!.StagedLength > 0 && g.Slots.StagedLength < size).Select(g => g.Id).ToList(),
                found => found.Count > 0, "a stage 2 download part-way", 90);
            var staged = partial.ToDictionary(id => id, id => gateways[id].Slots!.StagedLength);
            try
            {
                fleet.Kill();
            }
            finally
            {
                gate.Release(); // the gateways carry on against a dead fleet: their requests fail, the staged part is kept
            }
            fleet = FleetServer.Start(fleetOptions);
            output.WriteLine($"fleet restarted with {partial.Count} downloads part-way ({string.Join(", ", staged.Select(p => $"{p.Key} {p.Value}/{size}"))}); {clock.Elapsed.TotalSeconds:0} s");
            var done = await Eventually(fleet, async http => await Campaign(http, a) is { } c && (string)c["status"]! != "running" ? c : null, "campaign 1 ends", 150);
            Assert.Equal("completed", (string)done["status"]!);
            var downloads = await fleet.Http().GetFromJsonAsync<JsonObject>("/api/releases/downloads");
            Assert.True((long)downloads!["ranged"]! > 0, "bundle downloads after the restart were Range requests");
            foreach (var d in Devices(done))
            {
                var id = (string)d["device"]!;
                if (stopped.Contains(id))
                {
                    Assert.Equal("timed_out", (string)d["state"]!);
                    Assert.Equal("1.0.0", gateways[id].Slots!.RunningVersion);
                }
                else
                {
                    Assert.Equal(("confirmed", "passed"), ((string)d["state"]!, (string)d["health"]!));
                    Assert.Equal("1.1.0", gateways[id].Slots!.RunningVersion);
                    Assert.False(gateways[id].Slots!.InTrial);
                }
            }
            Assert.NotEmpty(partial);
            Assert.All(partial, id => Assert.Equal("1.1.0", gateways[id].Slots!.RunningVersion)); // resumed and verified
            Assert.All(partial, id => Assert.Contains(Devices(done), d => (string)d["device"]! == id && (string)d["state"]! == "confirmed"));
            output.WriteLine($"campaign 1 completed; {clock.Elapsed.TotalSeconds:0} s");

            // 2. A release that crashes on boot: halted at its first stage; every gateway there rolls back by itself.
            var b = await Create(fleet, new { version = "1.2.0", target = new { firmware = "1.1.0" }, stages = new[] { 10, 100 }, haltThreshold = 0.2,
                healthTimeoutSeconds = 60, silentTimeoutSeconds = 30 });
            var halted = await Eventually(fleet, async http => await Campaign(http, b) is { } c && (string)c["status"]! == "halted"
                && Devices(c).Where(d => (int)d["stage"]! == 1).All(d => UpdateStateIsOutcome((string)d["state"]!)) ? c : null, "campaign 2 halts", 120);
            Assert.Contains("crash_loop", (string)halted["statusReason"]!);
            // A gateway reports rolled_back once the way back is stored, then restarts into it a moment later.
            var firstStage = Devices(halted).Where(d => (int)d["stage"]! == 1).Select(d => (string)d["device"]!).ToList();
            var back = DateTime.UtcNow.AddSeconds(60);
            while (firstStage.Any(id => gateways[id].Slots!.RunningVersion != "1.1.0") && DateTime.UtcNow < back) await Task.Delay(100);
            foreach (var d in Devices(halted))
            {
                var id = (string)d["device"]!;
                if ((int)d["stage"]! == 1)
                {
                    Assert.Equal(("rolled_back", "crash_loop"), ((string)d["state"]!, (string?)d["reason"]));
                    Assert.Equal("1.1.0", gateways[id].Slots!.RunningVersion);
                }
                else
                {
                    Assert.Equal("queued", (string)d["state"]!); // never sent
                    Assert.Equal("1.1.0", gateways[id].Slots!.RunningVersion);
                }
            }
            output.WriteLine($"campaign 2 halted; {clock.Elapsed.TotalSeconds:0} s");

            // 3. A bundle changed on the fleet's disk after upload: every gateway refuses it.
            var targets = Devices(done).Where(d => (string)d["state"]! == "confirmed").Select(d => (string)d["device"]!).TakeLast(5).ToList();
            var stored = Path.Combine(fleetOptions.StateDirectory!, "releases", "firmware-virtual-1.3.0.bin");
            var bytes = await File.ReadAllBytesAsync(stored);
            bytes[^3] ^= 0x20;
            await File.WriteAllBytesAsync(stored, bytes);
            var t = await Create(fleet, new { version = "1.3.0", target = new { devices = targets }, haltThreshold = 1.0 });
            var refused = await Eventually(fleet, async http => await Campaign(http, t) is { } c && Devices(c).All(d => (string)d["state"]! == "failed") ? c : null,
                "tampered bundle refused", 90);
            Assert.All(Devices(refused), d => Assert.Equal("hash_mismatch", (string)d["reason"]!));
            Assert.All(targets, id => Assert.Equal("1.1.0", gateways[id].Slots!.RunningVersion));

            // The old address of the engineers' page leads to the page (wwwroot/engineer/campaigns/, tested in a browser).
            var page = await fleet.Http().GetStringAsync("/engineer/campaigns");
            Assert.Contains("/engineer/campaigns/campaigns.js", page);
            stop.Cancel();
            await stepping;
            output.WriteLine($"done in {clock.Elapsed.TotalSeconds:0} s");
        }
        finally
        {
            output.WriteLine(fleet.RecentOutput);
            fleet.Dispose();
        }
    }

    // The scheduler: every gateway that is not stopped takes each simulated second, at Speed (the records' times lie in
    // the past, as the fleet requires). Each simulated second runs holding the gate, so the test can pause the
    // gateways between two seconds (the simulated clock does not run ahead of the wall clock, so it only slows down).
    private static async Task Step(FleetRunner runner, HashSet<string> stopped, Pacer pacer, CancellationToken stop)
    {
        var gate = pacer.Gate;
        var clock = Stopwatch.StartNew();
        long s = 0;
        while (!stop.IsCancellationRequested)
        {
            if (s > clock.Elapsed.TotalSeconds * Speed)
            {
                await Task.Delay(5, CancellationToken.None);
                continue;
            }
            await gate.WaitAsync(CancellationToken.None);
            try
            {
                foreach (var g in runner.Gateways)
                {
                    bool off;
                    lock (stopped) off = stopped.Contains(g.Id);
                    if (!off) g.Step(s);
                }
            }
            finally
            {
                gate.Release();
            }
            s++;
            pacer.Ticked();
            await Task.Yield();
        }
    }

    /// <summary>The gate the scheduler holds for each simulated second, and a signal after each one.</summary>
    private sealed class Pacer : IDisposable
    {
        private TaskCompletionSource _tick = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public SemaphoreSlim Gate { get; } = new(1, 1);

        /// <summary>Completes when the scheduler has finished its next simulated second.</summary>
        public Task NextTick => Volatile.Read(ref _tick).Task;

        public void Ticked() => Interlocked.Exchange(ref _tick, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

        public void Dispose() => Gate.Dispose();
    }

    // Looks at the gateways between two simulated seconds, once per second, until done(probe) holds; returns with the
    // gate held (the gateways paused right there), or throws after `seconds`.
    private static async Task<T> WhilePaused<T>(Pacer pacer, Func<T> probe, Func<T, bool> done, string what, int seconds)
    {
        var limit = TimeSpan.FromSeconds(seconds);
        var deadline = Stopwatch.StartNew();
        TimeSpan Left() => deadline.Elapsed < limit ? limit - deadline.Elapsed : TimeSpan.Zero;
        while (true)
        {
            var next = pacer.NextTick;
            if (!await pacer.Gate.WaitAsync(Left())) throw new TimeoutException($"{what}: the gateways' scheduler did not pause in {seconds} s");
            var result = probe();
            if (done(result)) return result;
            pacer.Gate.Release();
            try
            {
                await next.WaitAsync(Left());
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"{what} did not happen in {seconds} s");
            }
        }
    }

    private static bool UpdateStateIsOutcome(string state) => Iot.Fleet.Updates.UpdateState.IsOutcome(state);

    private sealed record Published(string Directory, ReleaseDocument Document);

    private Published Publish(ReleaseKey key, string version, string firmwareJson)
    {
        var source = Path.Combine(_dir, $"src-{version}.json");
        File.WriteAllText(source, firmwareJson);
        var outDir = Path.Combine(_dir, "releases", version);
        return new Published(outDir, Releases.Publish(source, version, $"test {version}", key, outDir, "virtual", false, DateTimeOffset.UtcNow));
    }

    private static async Task<HttpResponseMessage> Upload(FleetServer fleet, Published release, byte[]? bundleBytes = null)
    {
        using var http = fleet.Http();
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(release.Directory, ReleaseDocument.FileName))), "release", ReleaseDocument.FileName);
        var bundle = new ByteArrayContent(bundleBytes ?? await File.ReadAllBytesAsync(Path.Combine(release.Directory, release.Document.File)));
        bundle.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(bundle, "bundle", release.Document.File);
        return await http.PostAsync("/api/releases", form);
    }

    private static async Task<long> Create(FleetServer fleet, object spec)
    {
        using var http = fleet.Http();
        var answer = await http.PostAsJsonAsync("/api/campaigns", spec);
        var body = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == HttpStatusCode.Created, body);
        return (long)JsonNode.Parse(body)!["id"]!;
    }

    private static async Task<JsonObject> Campaign(HttpClient http, long id) => (await http.GetFromJsonAsync<JsonObject>($"/api/campaigns/{id}"))!;

    private static JsonObject? Stage(JsonObject campaign, int stage) => campaign["progress"]![stage - 1] as JsonObject;

    private static IEnumerable<JsonObject> Devices(JsonObject campaign) => campaign["devices"]!.AsArray().Select(d => d!.AsObject());

    private async Task<T> Eventually<T>(FleetServer fleet, Func<HttpClient, Task<T?>> probe, string what, int seconds)
    {
        using var http = fleet.Http();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            try
            {
                if (await probe(http) is { } result && result is not false) return result;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(250);
        }
        var campaigns = await http.GetStringAsync("/api/campaigns");
        throw new TimeoutException($"{what} did not happen in {seconds} s; campaigns: {campaigns}");
    }
}
