using System.Net.Http.Json;
using System.Net;
using System.Text.Json.Nodes;
using Iot.Contract.Factory;
using Iot.Contract.Identity;
using Iot.Fleet.People;
using Iot.Gateway.Virtual.Simulation;
using MQTTnet;
using Iot.Stack;
using Iot.Testing;
using Xunit.Abstractions;
using Xunit;

namespace Iot.Fleet.Tests.EndToEnd;

/// <summary>
/// From the box to "proven working": a factory-fresh virtual gateway, a Mosquitto whose accounts the fleet
/// manages, and the fleet itself. Factory upload → the gateway says hello with its bootstrap account →
/// an installer claims it for a new site → it gets its own credentials and reconnects → its bootstrap
/// account is gone → the checklist passes → the sign-off makes the site raise enforcement leads.
/// </summary>
public sealed class ClaimToCommissionedTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _state = Directory.CreateTempSubdirectory("iot-claim-e2e-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_state, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_factory_gateway_is_claimed_switches_to_its_own_account_and_is_commissioned()
    {
        using var stack = new SecuredFleet();
        var (broker, fleet, passwords) = (stack.Broker, stack.Fleet, stack.PasswordFile);
        using var http = fleet.Http();

        // The factory made this gateway and uploaded its list; the fleet keeps hashes only.
        const string id = "VF-000001";
        var identity = new FactoryIdentity(id, ClaimCode.Generate(), BootstrapSecret.Generate(), DateTimeOffset.UtcNow);
        var factoryList = Path.Combine(_state, FactoryList.FileName);
        FactoryList.Write(factoryList, [identity]);
        var upload = await http.PostAsJsonAsync("/api/factory/devices", new[] { new { id, claimCode = identity.ClaimCode, bootstrapSecret = identity.BootstrapSecret } });
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        Assert.DoesNotContain(identity.BootstrapSecret, File.ReadAllText(passwords));

        // Bootstrap credentials cannot send telemetry: the broker drops it (MQTT 5 says so in the PUBACK).
        // The bootstrap account works once the broker has reloaded its files after the upload.
        var impostorClient = await Eventually(async () =>
        {
            try { return await Connect(broker, $"boot-{id}", identity.BootstrapSecret, id + "-x"); }
            catch (Exception e) when (e is not TimeoutException) { return null; }
        }, c => c is not null, "the bootstrap login");
        await using (var impostor = impostorClient!)
        {
            Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, await impostor.TryPublishAsync($"iot/v1/{id}/telemetry", "{}"));
        }

        var scenario = Scenario.Parse($$"""
            duration: 30m
            devices:
              - id: {{id}}
                site: fume
                jitter: 0.02
                levels: {fume: 0.6, fan_a: 3.0, pur_a: 1.2}
            """);
        await using var runner = new FleetRunner(scenario, new Gateway.Virtual.Simulation.FleetOptions
        {
            Host = broker.Host, Port = broker.Port, Speed = 10, StateDirectory = _state, Log = output.WriteLine,
            Logins = FleetRegistration.FromFactoryList(factoryList),
        });
        using var stopGateway = new CancellationTokenSource();
        var run = runner.RunAsync(TimeSpan.FromSeconds(120), stopGateway.Token);

        var announced = await Eventually(() => http.GetFromJsonAsync<JsonObject>($"/api/factory/devices/{id}"), g => g!["announcedAt"] is not null, "the gateway's hello");
        Assert.Null(announced!["claimedAt"]);

        // An installer with the gateway in hand: a typo is caught by the check character; the right code claims it once.
        var (installer, installerLogin) = await FleetPeople.SignInAs(fleet, "installer");
        using var _i = installer;
        var typo = await installer.PostAsJsonAsync("/api/claims", new { claimCode = Mistype(identity.ClaimCode), siteId = "NOPE" });
        Assert.Equal(HttpStatusCode.BadRequest, typo.StatusCode);
        var site = new { id = "R-CLAIMED", name = "Noodle house", kind = "fume", lat = 31.2304, lon = 121.4737, grid = "G-07", businessHours = new[] { new { from = "10:00", to = "22:00" } } };
        var claim = await installer.PostAsJsonAsync("/api/claims", new { claimCode = identity.ClaimCode.ToLowerInvariant().Replace("-", " "), site });
        Assert.Equal(HttpStatusCode.Created, claim.StatusCode);
        Assert.Equal("R-CLAIMED", (string?)(await claim.Content.ReadFromJsonAsync<JsonObject>())!["siteId"]);
        var again = await installer.PostAsJsonAsync("/api/claims", new { claimCode = identity.ClaimCode, siteId = "R-CLAIMED" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        // The gateway gets its own credentials, reconnects, and its bootstrap account is revoked.
        await Eventually(() => http.GetFromJsonAsync<JsonObject>($"/api/factory/devices/{id}"), g => g!["switchedAt"] is not null, "the switch to its own account");
        // The broker applies the revocation when it has reloaded its files (SIGHUP), a moment after the switch.
        var refusedAt = await Eventually(async () =>
        {
            try
            {
                await using var late = await Connect(broker, $"boot-{id}", identity.BootstrapSecret, id + "-y");
                return (string?)null;
            }
            catch (Exception e) when (e is not TimeoutException)
            {
                return e.Message;
            }
        }, refused => refused is not null, "the bootstrap account refused");
        output.WriteLine($"bootstrap login after the switch: {refusedAt}");

        // The checklist passes by itself once records and status arrive; the installer signs it off.
        var report = await Eventually(() => installer.GetFromJsonAsync<JsonObject>($"/api/devices/{id}/commissioning"), r => (bool)r!["complete"]!, "a passing checklist");
        Assert.Equal(["own_credentials", "clock_synced", "channels", "signal", "store_drained"], report!["checks"]!.AsArray().Select(c => (string)c!["name"]!));
        // The claim gave the gateway its evidence key with its login: its telemetry is verified and kept with its proof.
        var first = (await http.GetFromJsonAsync<JsonObject>($"/api/devices/{id}/records/1/message"))!;
        Assert.Equal("hmac-sha256", (string?)first["proof"]);
        Assert.True((bool)first["proofChecks"]!);
        var signed = await http.PostAsJsonAsync($"/api/devices/{id}/commissioning", new { note = "fitted above the purifier outlet", photo = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==" });
        Assert.Equal(HttpStatusCode.Created, signed.StatusCode);
        var records = await http.GetAllAsync("/api/sites/R-CLAIMED/commissioning");
        var record = Assert.Single(records!)!;
        Assert.Equal("checklist", (string)record["method"]!);
        Assert.True((bool)record["hasPhoto"]!);
        // Served as the PNG the fleet re-encoded, and never sniffed as anything else.
        var photo = await http.GetAsync($"/api/commissioning/{(long)record["id"]!}/photo");
        Assert.Equal("image/png", photo.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", photo.Headers.GetValues("X-Content-Type-Options").Single());

        // A stolen gateway: revoking it cuts it off at once (the broker drops it and publishes its will).
        var (engineer, _) = await FleetPeople.SignInAs(fleet, "engineer");
        using (engineer)
        {
            var revoke = await engineer.PostAsync($"/api/devices/{id}/revoke", null);
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }
        await Eventually(() => Task.FromResult(runner.Gateways[0].Runtime!.LoginRefusals), n => n > 0, "the revoked gateway refused by the broker");
        Assert.False(runner.Gateways[0].Link.IsConnected);
        Assert.Equal("offline", (string)(await http.GetFromJsonAsync<JsonObject>($"/api/devices/{id}"))!["status"]!);
        var audit = await http.GetAllAsync($"/api/audit?subject=device:{id}");
        Assert.Contains("device.revoke", audit!.Select(e => (string)e!["action"]!));
        Assert.Equal(installerLogin, (string)audit!.Single(e => (string)e!["action"]! == "device.claim")!["actor"]!);

        await stopGateway.CancelAsync(); // the scenario's half hour need not play to its end
        await runner.DisposeAsync();
        await run.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private static string Mistype(string code)
    {
        var chars = code.ToCharArray();
        chars[0] = chars[0] == 'A' ? 'B' : 'A';
        return new string(chars);
    }

    private static Task<TestMqttClient> Connect(MosquittoBroker broker, string user, string password, string clientId) =>
        TestMqttClient.ConnectAsync(TestMqttClient.Options(broker.Host, broker.Port, clientId).WithCredentials(user, password).Build());

    private static async Task<T> Eventually<T>(Func<Task<T>> read, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        T last = default!;
        while (DateTime.UtcNow < deadline)
        {
            last = await read();
            if (done(last)) return last;
            await Task.Delay(250);
        }
        throw new TimeoutException($"{what} did not happen in {Patience.TotalSeconds:0} s; last seen: {last}");
    }
}
