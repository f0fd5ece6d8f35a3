using System.Text.Json.Nodes;
using Iot.Contract.Identity;
using Iot.Contract.Factory;
using Iot.Provisioning.Factory;

namespace Iot.Provisioning.Tests;

/// <summary>The commands end to end: files on disk, and the exact requests a fake fleet receives.</summary>
public sealed class CliTests : IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("iot-prov-cli-").FullName;
    private FakeFleet fleet = null!;

    public async Task InitializeAsync() => fleet = await FakeFleet.StartAsync();

    public async Task DisposeAsync()
    {
        await fleet.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    private static void AssertJson(string expected, string actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)), $"expected {expected}\nactual   {actual}");

    private string[] Fleet(params string[] args) => [.. args, "--fleet", fleet.Url, "--token", "t0ken"];

    [Fact]
    public async Task Factory_writes_the_list_and_labels_and_refuses_to_overwrite()
    {
        var output = Path.Combine(folder, "batch1");
        var (exit, text) = await Cli.RunAsync("factory", "--count", "12", "--prefix", "NS", "--start", "120", "--out", output);
        Assert.True(exit == 0, text);
        var list = FactoryList.Read(CsvTable.Load(Path.Combine(output, "factory-list.csv")), out var errors);
        Assert.Empty(errors);
        Assert.Equal(Enumerable.Range(120, 12).Select(n => $"NS-{n:D6}"), list.Select(i => i.Id));
        var html = await File.ReadAllTextAsync(Path.Combine(output, "labels.html"));
        Assert.Equal(24, html.Split("<svg").Length - 1); // the claim QR and the hotspot's Wi-Fi QR
        Assert.All(list, i => Assert.Contains(WifiJoinPayload.ForGateway(i.Id, i.HotspotPassword!).ToString(), html));
        Assert.Contains("SECRET", text);
        Assert.Contains("button inside the lid", text); // why the hotspot password may be on the label
        // The flashing station's part of each device.json, beside the list.
        Assert.Equal(list.Select(i => $"{i.Id}.json"), Directory.GetFiles(Path.Combine(output, "device-json")).Select(Path.GetFileName).Order());
        AssertJson($$"""{"id":"NS-000120","bootstrap_secret":"{{list[0].BootstrapSecret}}","ap_password":"{{list[0].HotspotPassword}}"}""",
            await File.ReadAllTextAsync(Path.Combine(output, "device-json", "NS-000120.json")));

        var before = await File.ReadAllTextAsync(Path.Combine(output, "factory-list.csv"));
        (exit, text) = await Cli.RunAsync("factory", "--count", "1", "--prefix", "NS", "--start", "500", "--out", output);
        Assert.Equal(1, exit);
        Assert.Contains("already exists", text);
        Assert.Equal(before, await File.ReadAllTextAsync(Path.Combine(output, "factory-list.csv")));

        (exit, text) = await Cli.RunAsync("factory", "--count", "5", "--prefix", "NS", "--start", "130", "--out", Path.Combine(folder, "batch2"),
            "--existing", Path.Combine(output, "factory-list.csv"));
        Assert.Equal(1, exit);
        Assert.Contains("NS-000130", text);
        Assert.False(Directory.Exists(Path.Combine(folder, "batch2")));
    }

    [Fact]
    public async Task Factory_takes_an_older_list_without_hotspot_passwords_as_existing_and_labels_reprints_both()
    {
        var old = FactoryBatch.Generate("NS", 1, 2, 6, DateTimeOffset.UtcNow);
        var oldPath = Path.Combine(folder, "old-list.csv");
        await File.WriteAllTextAsync(oldPath, "id,claim_code,bootstrap_secret,created\n"
            + string.Join("\n", old.Select(i => $"{i.Id},{i.ClaimCode},{i.BootstrapSecret},2026-03-01T08:00:00Z")) + "\n");
        var output = Path.Combine(folder, "batch-new");
        var (exit, text) = await Cli.RunAsync("factory", "--count", "2", "--prefix", "NS", "--start", "3", "--out", output, "--existing", oldPath);
        Assert.True(exit == 0, text);
        (exit, text) = await Cli.RunAsync("factory", "--count", "2", "--prefix", "NS", "--start", "2", "--out", Path.Combine(folder, "reuse"), "--existing", oldPath);
        Assert.Equal(1, exit);
        Assert.Contains("NS-000002", text);

        // A reprint from the old list has the claim QR only; from the new one also the hotspot.
        var oldSheet = Path.Combine(folder, "old-reprint.html");
        (exit, text) = await Cli.RunAsync("labels", oldPath, "--out", oldSheet, "--installer-url", "https://fleet.example");
        Assert.True(exit == 0, text);
        var html = await File.ReadAllTextAsync(oldSheet);
        Assert.Equal(2, html.Split("<svg").Length - 1);
        Assert.DoesNotContain("WIFI:", html);
        Assert.Contains($"data-claim=\"https://fleet.example/install/?d=NS-000001&amp;c={old[0].ClaimCode}\"", html);
        var newSheet = Path.Combine(folder, "new-reprint.html");
        (exit, text) = await Cli.RunAsync("labels", Path.Combine(output, "factory-list.csv"), "--only", "NS-000004", "--out", newSheet);
        Assert.True(exit == 0, text);
        var list = FactoryList.Read(CsvTable.Load(Path.Combine(output, "factory-list.csv")), out _);
        html = await File.ReadAllTextAsync(newSheet);
        Assert.Equal(2, html.Split("<svg").Length - 1);
        Assert.Contains($"data-wifi=\"WIFI:T:WPA;S:IOT-S-000004;P:{list[1].HotspotPassword};;\"", html);
    }

    [Fact]
    public async Task Factory_labels_link_to_the_installer_page_and_refuse_a_plain_http_address()
    {
        var output = Path.Combine(Path.GetTempPath(), $"iot-labels-{Guid.NewGuid():N}");
        var (exit, text) = await Cli.RunAsync("factory", "--count", "2", "--prefix", "NS", "--start", "7", "--out", output, "--installer-url", "http://fleet.example");
        Assert.NotEqual(0, exit);
        Assert.Contains("https", text);
        (exit, text) = await Cli.RunAsync("factory", "--count", "2", "--prefix", "NS", "--start", "7", "--out", output, "--installer-url", "https://fleet.example");
        Assert.Equal(0, exit);
        var list = FactoryList.Read(CsvTable.Load(Path.Combine(output, "factory-list.csv")), out _);
        var sheet = await File.ReadAllTextAsync(Path.Combine(output, "labels.html"));
        Assert.Contains($"data-claim=\"https://fleet.example/install/?d=NS-000007&amp;c={list[0].ClaimCode}\"", sheet);
        Directory.Delete(output, recursive: true);
    }

    [Fact]
    public async Task Upload_factory_sends_ids_codes_and_secrets_only()
    {
        var batch = FactoryBatch.Generate("NS", 1, 2, 6, DateTimeOffset.UtcNow);
        var path = Path.Combine(folder, "factory-list.csv");
        FactoryList.Write(path, batch);
        fleet.Handler = _ => (201, """{"created":2}""");

        var (exit, text) = await Cli.RunAsync(Fleet("upload-factory", path));

        Assert.True(exit == 0, text);
        var request = Assert.Single(fleet.Requests);
        Assert.Equal(("POST", "/api/factory/devices", "Bearer t0ken"), (request.Method, request.PathAndQuery, request.Authorization));
        AssertJson($$"""
            [{"id":"NS-000001","claimCode":"{{batch[0].ClaimCode}}","bootstrapSecret":"{{batch[0].BootstrapSecret}}"},
             {"id":"NS-000002","claimCode":"{{batch[1].ClaimCode}}","bootstrapSecret":"{{batch[1].BootstrapSecret}}"}]
            """, request.Body);
        Assert.Contains("registered 2 gateways", text);
    }

    [Fact]
    public async Task Upload_factory_explains_a_conflict()
    {
        var path = Path.Combine(folder, "factory-list.csv");
        FactoryList.Write(path, FactoryBatch.Generate("NS", 1, 1, 6, DateTimeOffset.UtcNow));
        fleet.Handler = _ => (409, """{"title":"Conflict","status":409,"detail":"NS-000001 is already registered"}""");
        var (exit, text) = await Cli.RunAsync(Fleet("upload-factory", path));
        Assert.Equal(1, exit);
        Assert.Contains("error: some of these gateways are already registered; nothing was stored (409 Conflict): NS-000001 is already registered", text);
    }

    [Fact]
    public async Task Claim_creates_the_site_and_follows_the_checklist_until_it_passes()
    {
        var code = ClaimCode.Generate();
        var polls = 0;
        fleet.Handler = request => request.PathAndQuery switch
        {
            "/api/claims" => (201, """{"deviceId":"NS-000123","siteId":"R-WANG"}"""),
            "/api/devices/NS-000123/commissioning" => (200, ++polls < 3 ? Checklist("pending") : Checklist("pass")),
            _ => (404, ""),
        };

        var (exit, text) = await Cli.RunAsync(Fleet("claim", "--code", code.ToLowerInvariant().Replace("-", " "), "--site", "r-wang", "--create-site",
            "--kind", "fume", "--name", "Wang's Noodles", "--lat", "30.2741", "--lon", "120.1551", "--grid", "XH-03",
            "--hours", "10:00-14:00;17:00-22:00", "--profile", "default", "--interval", "0.05"));

        Assert.True(exit == 0, text);
        var claim = fleet.Requests[0];
        Assert.Equal(("POST", "/api/claims", "Bearer t0ken"), (claim.Method, claim.PathAndQuery, claim.Authorization));
        AssertJson($$$"""
            {"claimCode":"{{{code}}}","site":{"id":"R-WANG","name":"Wang's Noodles","kind":"fume","lat":30.2741,"lon":120.1551,"grid":"XH-03",
              "businessHours":[{"from":"10:00","to":"14:00"},{"from":"17:00","to":"22:00"}],"profile":"default"}}
            """, claim.Body);
        Assert.All(fleet.Requests.Skip(1), r => Assert.Equal(("GET", "/api/devices/NS-000123/commissioning"), (r.Method, r.PathAndQuery)));
        Assert.Equal(3, polls);
        Assert.Contains("NS-000123 now belongs to site R-WANG", text);
        Assert.Contains("[pending] Connected with its own credentials", text);
        Assert.Contains("[pass] Store drained: 0 records waiting", text);
        Assert.Contains("NS-000123 is commissioned", text);
    }

    [Fact]
    public async Task Claim_by_scanned_label_names_an_existing_site()
    {
        var code = ClaimCode.Generate();
        fleet.Handler = _ => (201, """{"deviceId":"NS-000123","siteId":"C-METRO7"}""");
        var (exit, text) = await Cli.RunAsync(Fleet("claim", "--qr", $"iotclaim:NS-000123?c={code}", "--site", "C-METRO7", "--no-wait"));
        Assert.True(exit == 0, text);
        var claim = Assert.Single(fleet.Requests);
        AssertJson($$"""{"claimCode":"{{code}}","siteId":"C-METRO7"}""", claim.Body);
    }

    [Theory]
    [InlineData(404, "unknown claim code: check the label (or the factory list was never uploaded) (404 Not Found): no such claim code")]
    [InlineData(409, "this claim code was already used: the gateway belongs to a site already (409 Conflict): no such claim code")]
    [InlineData(410, "this claim code has expired: ask the fleet's engineers to release the gateway again (410 Gone): no such claim code")]
    [InlineData(403, "this token is not allowed to claim the gateway (403 Forbidden): no such claim code")]
    [InlineData(401, "the fleet refused the token: check --token (or IOT_FLEET_TOKEN) (401 Unauthorized): no such claim code")]
    public async Task Claim_explains_4xx_answers_and_stops(int status, string message)
    {
        fleet.Handler = _ => (status, $$"""{"title":"x","status":{{status}},"detail":"no such claim code"}""");
        var (exit, text) = await Cli.RunAsync(Fleet("claim", "--code", ClaimCode.Generate(), "--site", "C-METRO7"));
        Assert.Equal(1, exit);
        Assert.Contains("error: " + message, text);
        Assert.Single(fleet.Requests);
    }

    [Fact]
    public async Task Claim_refuses_a_mistyped_code_without_asking_the_fleet()
    {
        var code = ClaimCode.Generate();
        var typo = code[..^1] + ClaimCode.Alphabet.First(c => c != code[^1]);
        var (exit, text) = await Cli.RunAsync(Fleet("claim", "--code", typo, "--site", "C-METRO7"));
        Assert.Equal(1, exit);
        Assert.Contains("mistyped", text);
        Assert.Empty(fleet.Requests);
    }

    [Fact]
    public async Task Claim_stops_after_its_timeout_with_the_open_checks()
    {
        fleet.Handler = request => request.PathAndQuery == "/api/claims"
            ? (201, """{"deviceId":"NS-000123","siteId":"C-METRO7"}""")
            : (200, Checklist("pending"));
        var (exit, text) = await Cli.RunAsync(Fleet("claim", "--code", ClaimCode.Generate(), "--site", "C-METRO7", "--interval", "0.05", "--timeout", "0.05")); // 3 s: time for a first poll even on a busy machine
        Assert.Equal(3, exit);
        Assert.Contains("timed out: NS-000123 is claimed but not commissioned; still open: Connected with its own credentials", text);
    }

    [Fact]
    public async Task Checklist_follows_a_claimed_gateway_and_explains_an_unknown_one()
    {
        fleet.Handler = request => request.PathAndQuery == "/api/devices/NS-000123/commissioning"
            ? (200, Checklist("pass"))
            : (404, """{"title":"Not Found","status":404,"detail":"no device NS-000999"}""");
        var (exit, text) = await Cli.RunAsync(Fleet("checklist", "ns-000123"));
        Assert.True(exit == 0, text);
        Assert.Contains("NS-000123 is commissioned", text);

        (exit, text) = await Cli.RunAsync(Fleet("checklist", "NS-000999"));
        Assert.Equal(1, exit);
        Assert.Contains("error: the fleet does not know gateway NS-000999 (404 Not Found): no device NS-000999", text);
    }

    [Fact]
    public async Task Import_checks_locally_then_sends_one_request()
    {
        var (sites, devices) = WriteImport(
            "id,name,kind,lat,lon,grid,business_hours,profile,timezone\nR-WANG,Wang's Noodles,fume,30.2741,120.1551,XH-03,10:00-22:00,,\n",
            "id,site\nNS-000001,R-WANG\nNS-000002,D-OLD\n");
        fleet.Handler = request => request.PathAndQuery switch
        {
            // The site list comes in pages: the CLI follows `next` until the last.
            "/api/sites?limit=1000" => (200, """{"items":[{"id":"A-FIRST","name":"First","kind":"dust"}],"next":"WyJBLUZJUlNUIl0","total":2}"""),
            "/api/sites?limit=1000&cursor=WyJBLUZJUlNUIl0" => (200, """{"items":[{"id":"D-OLD","name":"Old depot","kind":"dust"}],"next":null,"total":2}"""),
            "/api/import?dry_run=true" => (200, """{"dryRun":true,"sites":1,"devices":2}"""),
            _ => (404, ""),
        };

        var (exit, text) = await Cli.RunAsync(Fleet("import", sites, devices, "--dry-run"));

        Assert.True(exit == 0, text);
        Assert.Equal([("GET", "/api/sites?limit=1000"), ("GET", "/api/sites?limit=1000&cursor=WyJBLUZJUlNUIl0"), ("POST", "/api/import?dry_run=true")],
            fleet.Requests.Select(r => (r.Method, r.PathAndQuery)));
        AssertJson("""
            {"sites":[{"id":"R-WANG","name":"Wang's Noodles","kind":"fume","lat":30.2741,"lon":120.1551,"grid":"XH-03",
                       "businessHours":[{"from":"10:00","to":"22:00"}]}],
             "devices":[{"id":"NS-000001","site":"R-WANG"},{"id":"NS-000002","site":"D-OLD"}]}
            """, fleet.Requests[2].Body);
        Assert.Contains("dry run passed", text);
    }

    [Fact]
    public async Task Import_with_bad_rows_sends_nothing()
    {
        var (sites, devices) = WriteImport("id,name,kind,lat,lon\nR-WANG,Wang's,smoke,30.1,120.1\n", "id,site\nNS-000001,NOWHERE\n");
        fleet.Handler = _ => (200, """{"items":[],"next":null,"total":0}""");
        var (exit, text) = await Cli.RunAsync(Fleet("import", sites, devices));
        Assert.Equal(1, exit);
        Assert.Contains("error: sites.csv row 2, column kind: unknown kind 'smoke' (expected fume, noise, dust)", text);
        Assert.Contains("error: devices.csv row 2, column site: unknown site 'NOWHERE': not in sites.csv and not in the fleet", text);
        Assert.Contains("nothing was sent", text);
        Assert.Equal(["/api/sites?limit=1000"], fleet.Requests.Select(r => r.PathAndQuery));
    }

    [Fact]
    public async Task Import_prints_the_fleets_refusals_by_csv_row()
    {
        var (sites, devices) = WriteImport("id,name,kind,lat,lon\nR-WANG,Wang's,fume,30.1,120.1\n", "id,site\nNS-000001,R-WANG\nNS-000099,R-WANG\n");
        fleet.Handler = request => request.PathAndQuery == "/api/sites?limit=1000"
            ? (200, """{"items":[],"next":null,"total":0}""")
            : (422, """{"title":"Import refused","status":422,"errors":[{"table":"devices","index":1,"column":"id","message":"NS-000099 is not in any factory list"}]}""");
        var (exit, text) = await Cli.RunAsync(Fleet("import", sites, devices));
        Assert.Equal(1, exit);
        Assert.Equal("/api/import?dry_run=false", fleet.Requests[1].PathAndQuery);
        Assert.Contains("error: devices.csv row 3, column id: NS-000099 is not in any factory list", text);
        Assert.Contains("nothing was imported", text);
    }

    [Fact]
    public async Task An_unreachable_fleet_is_said_plainly()
    {
        var (sites, devices) = WriteImport("id,name,kind,lat,lon\n", "id,site\n");
        var (exit, text) = await Cli.RunAsync("import", sites, devices, "--fleet", "http://127.0.0.1:9", "--token", "t");
        Assert.Equal(1, exit);
        Assert.Contains("error: cannot reach the fleet at http://127.0.0.1:9/", text);
    }

    private (string Sites, string Devices) WriteImport(string sites, string devices)
    {
        var sitesPath = Path.Combine(folder, "sites.csv");
        var devicesPath = Path.Combine(folder, "devices.csv");
        File.WriteAllText(sitesPath, sites);
        File.WriteAllText(devicesPath, devices);
        return (sitesPath, devicesPath);
    }

    private static string Checklist(string status) => $$"""
        {"deviceId":"NS-000123","complete":{{(status == "pass" ? "true" : "false")}},"checks":[
          {"name":"own_credentials","label":"Connected with its own credentials","status":"{{status}}"},
          {"name":"clock_synced","label":"Clock synced","status":"{{status}}"},
          {"name":"channels","label":"Every channel present and plausible","status":"{{status}}","detail":"fume 0.4 mg/m³, fan 1, pur 1"},
          {"name":"signal","label":"Signal strength","status":"{{status}}","detail":"-61 dBm"},
          {"name":"store_drained","label":"Store drained","status":"{{status}}","detail":"0 records waiting"}]}
        """;
}
