using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Iot.Contract.Factory;
using Iot.Contract.Identity;
using Iot.Gateway.Virtual.Simulation;
using Iot.Stack;
using Iot.Testing;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Iot.Browser.Tests;

/// <summary>
/// The installer's path on a phone, from the label's link to "commissioned", through the real page against the real
/// stack with broker accounts (as `tests/Iot.Fleet.Tests/EndToEnd/ClaimToCommissionedTests` runs it through the API,
/// with the bootstrap account's revocation and the telemetry proof): a factory-fresh virtual gateway, the installer signs
/// in, claims it for a new site, watches the checklist pass as the gateway switches to its own account, and signs it off
/// with a photo. Each step's time and the total go to the test output. A second gateway is signed off without signal.
/// The page's steps take what they take; the gateway's own (its switch to its own account, the status and records the
/// checklist waits for) are the virtual gateway's at 10× speed, replaying the last half hour: shorter than a real gateway's.
/// </summary>
public sealed class ClaimToCommissionedPageTests(ITestOutputHelper output) : IDisposable
{
    private const string Installer = "qian.gong";
    private const string InstallerPassword = "Installer-pass-2026";
    private readonly string _state = Directory.CreateTempSubdirectory("iot-claim-page-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_state, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task An_installer_takes_a_factory_gateway_from_its_label_to_commissioned_on_a_phone_timed_step_by_step()
    {
        // Mosquitto whose accounts the fleet writes, InfluxDB, the fleet with broker security on.
        using var stack = new SecuredFleet();
        var (broker, fleet) = (stack.Broker, stack.Fleet);
        using var http = fleet.Http();

        // Two gateways from the factory's list; the fleet keeps hashes only. They say hello with their bootstrap accounts.
        const string id = "VF-000201", cellar = "VF-000202";
        var identities = new[] { id, cellar }.Select(d => new FactoryIdentity(d, ClaimCode.Generate(), BootstrapSecret.Generate(), DateTimeOffset.UtcNow)).ToArray();
        var factoryList = Path.Combine(_state, FactoryList.FileName);
        FactoryList.Write(factoryList, identities);
        var upload = await http.PostAsJsonAsync("/api/factory/devices", identities.Select(g => new { id = g.Id, claimCode = g.ClaimCode, bootstrapSecret = g.BootstrapSecret }));
        Assert.True(upload.IsSuccessStatusCode, await upload.Content.ReadAsStringAsync());
        var person = await http.PostAsJsonAsync("/api/people", new { login = Installer, name = "钱工", role = "installer", password = InstallerPassword });
        Assert.True(person.IsSuccessStatusCode, await person.Content.ReadAsStringAsync());
        var scenario = Scenario.Parse($$"""
            duration: 30m
            devices:
              - id: {{id}}
                site: fume
                jitter: 0.02
                levels: {fume: 0.6, fan_a: 3.0, pur_a: 1.2}
              - id: {{cellar}}
                site: fume
                jitter: 0.02
                levels: {fume: 0.5, fan_a: 3.0, pur_a: 1.2}
            """);
        await using var runner = new FleetRunner(scenario, new Iot.Gateway.Virtual.Simulation.FleetOptions
        {
            Host = broker.Host, Port = broker.Port, Speed = 10, StateDirectory = _state,
            Logins = FleetRegistration.FromFactoryList(factoryList),
        });
        using var stopGateways = new CancellationTokenSource();
        var run = runner.RunAsync(TimeSpan.FromSeconds(120), stopGateways.Token);
        await Eventually(() => http.GetFromJsonAsync<JsonObject>($"/api/factory/devices/{id}"), g => g!["announcedAt"] is not null, "the gateway's hello");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = BrowserStack.Chromium, Headless = true });
        var context = await browser.NewContextAsync(new()
        {
            BaseURL = fleet.Url.ToString(), ViewportSize = new() { Width = 360, Height = 780 }, DeviceScaleFactor = 2, Locale = "zh-CN",
            TimezoneId = "Asia/Shanghai", IsMobile = true, HasTouch = true,
        });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        page.PageError += (_, e) => output.WriteLine($"page error: {e}");

        // The path, timed from the moment the installer opens the label's link.
        var timings = new List<(string Step, TimeSpan Took)>();
        var total = Stopwatch.StartNew();
        var step = Stopwatch.StartNew();
        void Done(string name)
        {
            timings.Add((name, step.Elapsed));
            output.WriteLine($"{name,-52} {step.Elapsed.TotalSeconds,6:0.0} s");
            step.Restart();
        }

        await page.GotoAsync($"/install/?d={id}&c={identities[0].ClaimCode}");
        await Expect(page).ToHaveURLAsync(new Regex("/login\\.html"));
        Done("open the label's link (to the sign-in page)");

        await page.FillAsync("#loginName", Installer);
        await page.FillAsync("#password", InstallerPassword);
        await page.ClickAsync("#signIn");
        await Expect(page.Locator("#code")).ToHaveValueAsync(identities[0].ClaimCode);
        await Expect(page.Locator("#fromLabel")).ToContainTextAsync(id);
        Done("sign in (back on the install page, code filled in)");

        await page.CheckAsync("#newSite");
        await page.FillAsync("#siteId", "R-TIMED");
        await page.FillAsync("#siteName", "计时面馆");
        await page.FillAsync("#lat", "30.2720");
        await page.FillAsync("#lon", "120.1530");
        await page.FillAsync("#grid", "G-EAST");
        await page.FillAsync("#hours", "10:00-14:00;17:00-22:00");
        await page.ClickAsync("#claimButton");
        await Expect(page.Locator("#deviceId")).ToHaveTextAsync(id);
        await Expect(page.Locator("#checks li")).ToHaveCountAsync(5);
        Done("claim it for a new site (checklist shown)");

        var ownAccount = page.Locator("#checks li").First.Locator(".badge");
        await Expect(ownAccount).ToHaveClassAsync(new Regex("\\bpass\\b"), new() { Timeout = 60_000 });
        Done("the gateway switches to its own account");

        await Expect(page.Locator("#signOff")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Expect(page.Locator("#checks .badge.pass")).ToHaveCountAsync(5);
        Done("the whole checklist passes (the on-the-spot proof)");

        await page.FillAsync("#note", "探头装在净化器出口上方");
        await page.SetInputFilesAsync("#photo", new FilePayload { Name = "installation.png", MimeType = "image/png", Buffer = await page.ScreenshotAsync() });
        await page.ClickAsync("#signButton");
        await Expect(page.Locator("#done")).ToBeVisibleAsync();
        await Expect(page.Locator("#done")).ToHaveTextAsync("调试完成，点位开始产生执法线索。");
        Done("sign off with a photo (commissioned)");
        output.WriteLine($"{"claim to commissioned, total",-52} {total.Elapsed.TotalSeconds,6:0.0} s");
        Assert.Equal(6, timings.Count);
        await PageChecks.Fits(page, 360);

        var record = Assert.Single(await http.GetAllAsync("/api/sites/R-TIMED/commissioning"))!;
        Assert.Equal("checklist", (string)record["method"]!);
        Assert.Equal(id, (string)record["device"]!);
        Assert.Equal(Installer, (string)record["signedBy"]!);
        Assert.True((bool)record["hasPhoto"]!);
        Assert.NotNull((await http.GetFromJsonAsync<JsonObject>($"/api/factory/devices/{id}"))!["switchedAt"]);

        // The second gateway, in a cellar: claimed, its checklist passes, then the signal goes as the installer signs off.
        // The sign-off and its photo wait on the phone and reach the fleet once when the signal is back.
        var cellarClock = Stopwatch.StartNew();
        using (var installer = await SignIn(fleet))
        {
            var claim = await installer.PostAsJsonAsync("/api/claims", new { claimCode = identities[1].ClaimCode, siteId = "R-TIMED" });
            Assert.True(claim.IsSuccessStatusCode, await claim.Content.ReadAsStringAsync());
        }
        var signOffs = new List<int>();
        page.Response += (_, r) => { if (r.Request.Method == "POST" && r.Url.EndsWith($"/api/devices/{cellar}/commissioning", StringComparison.Ordinal)) signOffs.Add(r.Status); };
        await page.GotoAsync($"/install/?device={cellar}");
        await Expect(page.Locator("#signOff")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        output.WriteLine($"second gateway: claimed, its checklist passed after {cellarClock.Elapsed.TotalSeconds:0.0} s");
        await context.SetOfflineAsync(true);
        await page.SetInputFilesAsync("#photo", new FilePayload { Name = "cellar.png", MimeType = "image/png", Buffer = await page.ScreenshotAsync() });
        await page.ClickAsync("#signButton");
        await Expect(page.Locator("#outboxTitle")).ToHaveTextAsync("等待发送（1）");
        await Expect(page.Locator("#outboxList li")).ToContainTextAsync($"签署网关 {cellar} 的调试记录");
        await Expect(page.Locator("#signOff")).ToBeHiddenAsync();
        await Expect(page.Locator("#done")).ToBeHiddenAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserStack.Screenshots, "18-install-sign-off-queued.png"), FullPage = true });
        Assert.DoesNotContain(await http.GetAllAsync("/api/sites/R-TIMED/commissioning"), r => (string?)r!["device"] == cellar);
        await context.SetOfflineAsync(false);
        cellarClock.Restart();
        await Expect(page.Locator("#done")).ToBeVisibleAsync(new() { Timeout = 40_000 });
        output.WriteLine($"second gateway: the waiting sign-off reached the fleet {cellarClock.Elapsed.TotalSeconds:0.0} s after the signal returned");
        await Expect(page.Locator("#outbox")).ToBeHiddenAsync();
        Assert.Equal([201], signOffs);
        var cellarRecord = Assert.Single(await http.GetAllAsync("/api/sites/R-TIMED/commissioning"), r => (string?)r!["device"] == cellar)!;
        Assert.True((bool)cellarRecord["hasPhoto"]!);

        await context.CloseAsync();
        cellarClock.Restart();
        await stopGateways.CancelAsync(); // the scenario's half hour need not play to its end
        await runner.DisposeAsync();
        await run.ContinueWith(_ => { }, TaskScheduler.Default);
        output.WriteLine($"virtual gateways stopped in {cellarClock.Elapsed.TotalSeconds:0.0} s");
    }

    private static async Task<HttpClient> SignIn(FleetServer fleet)
    {
        var http = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer() }) { BaseAddress = fleet.Url };
        var login = await http.PostAsJsonAsync("/api/login", new { login = Installer, password = InstallerPassword });
        Assert.True(login.IsSuccessStatusCode, await login.Content.ReadAsStringAsync());
        return http;
    }

    private static async Task<T> Eventually<T>(Func<Task<T>> read, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        T last = default!;
        while (DateTime.UtcNow < deadline)
        {
            last = await read();
            if (done(last)) return last;
            await Task.Delay(250);
        }
        throw new TimeoutException($"{what} did not happen in 60 s; last seen: {last}");
    }
}
