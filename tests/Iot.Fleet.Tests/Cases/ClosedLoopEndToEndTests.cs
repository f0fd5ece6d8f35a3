using System.IO.Compression;
using System.Net.Http.Json;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Iot.Fleet.Tests.EndToEnd;
using Iot.Fleet.Tests.Evidence;
using Iot.Fleet.Tests.Notifications;
using Iot.Stack;
using Iot.Testing;
using Xunit;
using static Iot.Fleet.Tests.EndToEnd.PipelineFixture;

namespace Iot.Fleet.Tests.Cases;

/// <summary>A breach through the real pipeline to a closed case: webhooks on the way, and the evidence bundle at the end.
/// Runs its own fleet process (configured with a webhook target) against the shared broker and InfluxDB.</summary>
[Collection(PipelineCollection.Name)]
public sealed class ClosedLoopEndToEndTests(PipelineFixture pipeline)
{
    [Fact]
    public async Task A_breach_becomes_a_lead_handled_to_closure_with_one_webhook_per_event_and_a_verifiable_bundle()
    {
        using var receiver = new WebhookReceiver();
        var options = new FleetOptions { MqttHost = pipeline.Broker.Host, MqttPort = pipeline.Broker.Port, InfluxUrl = pipeline.Influx.Url, ClientId = "fleet-loop" };
        options.Environment["Notifications__Targets__0__Kind"] = "webhook";
        options.Environment["Notifications__Targets__0__Name"] = "platform";
        options.Environment["Notifications__Targets__0__Url"] = receiver.Url;
        options.Environment["Notifications__Targets__0__Secret"] = "s3cret";
        options.Environment["Notifications__Targets__0__Events__0"] = "lead.new";
        options.Environment["Notifications__Targets__0__Events__1"] = "lead.dispatched";
        using var fleet = FleetServer.Start(options);
        using var http = fleet.Http();

        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/sites",
            new { id = "R-LOOP", name = "Site R-LOOP", kind = "fume", timezone = "Asia/Shanghai", grid = "G-LOOP", profile = "default" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/devices", new { id = "GW-LOOP-1", site = "R-LOOP" })).StatusCode);
        // After the device: an admin record covers the gateways bound when it is recorded.
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/sites/R-LOOP/commissioning",
            new { passed = true, note = "test: reviewed before the records it judges", validFrom = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero) })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/squads",
            new { id = "SQ-LOOP", name = "环城中队 Ring squad", grids = new[] { "G-LOOP" }, members = new[] { "li.wei" } })).StatusCode);

        await using var client = await Iot.Testing.TestMqttClient.ConnectAsync(pipeline.Broker.Host, pipeline.Broker.Port, "GW-LOOP-1");
        var start = Minute(DateTimeOffset.UtcNow.AddMinutes(-12));
        var payload = Envelope("GW-LOOP-1", Enumerable.Range(0, 12).Select(i => ((uint)(i + 1), start + i * 60, 0, """{"fume":0.8,"fan":1,"pur":0}""")).ToArray());
        await client.PublishAsync("iot/v1/GW-LOOP-1/telemetry", payload);

        var leads = await Eventually(() => http.GetAllAsync("/api/leads?site=R-LOOP"), l => l.Count > 0, "the lead", fleet);
        var id = (long)Assert.Single(leads)!["id"]!;
        Assert.Equal("open", (string)(await http.GetFromJsonAsync<JsonObject>($"/api/leads/{id}/case"))!["status"]!);

        Assert.Equal(HttpStatusCode.Conflict, (await http.PostAsJsonAsync($"/api/leads/{id}/case/result", new { result = "violation_found", note = "early" })).StatusCode);
        await Step(http, id, "acknowledge", new { note = "seen in the command centre" }, "acknowledged");
        var dispatched = await Step(http, id, "dispatch", new { }, "dispatched");
        Assert.Equal("SQ-LOOP", (string)dispatched["squad"]!);
        var found = await Step(http, id, "result", new { result = "violation_found", note = "fan on, purifier switched off at the wall" }, "violation_found");
        Assert.False((bool)found["overdue"]!);
        // Independent verification (核查): someone other than who recorded the result.
        var (verifier, login) = await FleetPeople.SignInAs(fleet, "inspector");
        using (verifier)
            await Step(verifier, id, "verify", new { note = "photos of the switched-off purifier seen" }, "violation_found");
        var closed = await Step(http, id, "close", new { outcome = "confirmed", note = "penalty decision drafted" }, "confirmed");
        Assert.Equal(["acknowledge", "dispatch", "result", "verify", "close"], closed["history"]!.AsArray().Select(h => (string)h!["step"]!));
        Assert.Equal(["admin-token", "admin-token", "admin-token", login, "admin-token"], closed["history"]!.AsArray().Select(h => (string)h!["by"]!));
        var cases = await http.GetAllAsync("/api/cases?squad=SQ-LOOP&status=confirmed");
        Assert.Equal(id, (long)Assert.Single(cases)!["lead"]!);

        await Eventually(() => Task.FromResult(receiver.Requests.Count), n => n >= 2, "two webhooks", fleet);
        await Task.Delay(1500); // anything extra would arrive now
        var events = receiver.Requests.Select(r => r.Headers["X-Iot-Event"]).Order().ToList();
        Assert.Equal(["lead.dispatched", "lead.new"], events);
        Assert.Equal(2, receiver.Requests.Select(r => r.Headers["Idempotency-Key"]).Distinct().Count());
        Assert.Equal(2, await http.CountAsync("/api/notifications?status=delivered"));

        var zip = await http.GetByteArrayAsync($"/api/leads/{id}/evidence.zip");
        var folder = Directory.CreateTempSubdirectory("iot-bundle-").FullName;
        try
        {
            using (var archive = new ZipArchive(new MemoryStream(zip))) archive.ExtractToDirectory(folder);
            var sums = File.ReadAllLines(Path.Combine(folder, "manifest.sha256"));
            foreach (var line in sums)
            {
                var (hash, path) = (line[..64], line[66..]);
                Assert.Equal(hash, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, path)))));
            }
            var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).ToList();
            Assert.Equal(files.Count - 2, sums.Length); // every file but the checksum list itself and the signature
            var verdict = Iot.Evidence.BundleVerifier.Verify(new MemoryStream(zip),
                new Iot.Evidence.VerifyOptions([Convert.FromBase64String((string)(await http.GetFromJsonAsync<JsonObject>("/api/evidence/key"))!["current"]!["publicKey"]!)]));
            Assert.True(verdict.Holds, string.Join("\n", verdict.Checks));
            var raw = Assert.Single(Directory.GetFiles(Path.Combine(folder, "messages"), "*.json"));
            Assert.Equal(payload, File.ReadAllBytes(raw));
            Assert.Equal(13, File.ReadAllLines(Path.Combine(folder, "readings.csv")).Length);
            Assert.Contains("\"status\": \"confirmed\"", File.ReadAllText(Path.Combine(folder, "case.json")));
            var check = EvidenceChecks.Sha256SumCheck(folder);
            Assert.True(check.ExitCode == 0, check.Output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<JsonObject> Step(HttpClient http, long id, string step, object body, string expected)
    {
        var response = await http.PostAsJsonAsync($"/api/leads/{id}/case/{step}", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{step}: {(int)response.StatusCode} {text}");
        var view = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(expected, (string)view["status"]!);
        return view;
    }

    private static async Task<T> Eventually<T>(Func<Task<T>> probe, Func<T, bool> done, string what, FleetServer fleet, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            try
            {
                var last = await probe();
                if (done(last)) return last;
            }
            catch (HttpRequestException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what} did not happen in {seconds} s\nfleet output:\n{fleet.RecentOutput}");
            await Task.Delay(100);
        }
    }
}
