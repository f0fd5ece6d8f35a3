using System.Net.Http.Json;
using System.Net;
using System.Text.Json.Nodes;
using System.Text;
using Iot.Gateway.Release;
using Iot.Stack;
using Iot.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;
using Xunit;

namespace Iot.Browser.Tests;

/// <summary>The real stack (Mosquitto, InfluxDB, the fleet as its own process serving its pages) and Debian's chromium
/// driven by Playwright, shared by the browser tests. The fleet is seeded with an inspector, a squad owning a grid and
/// commissioned restaurant sites with coordinates, so the pages have something real to show.</summary>
public sealed class BrowserStack : IAsyncLifetime
{
    /// <summary>Debian's chromium (`apt-get install chromium`); Playwright's own browser download is not used.</summary>
    public const string Chromium = "/usr/bin/chromium";
    public const string Inspector = "li.wei";
    public const string InspectorPassword = "Inspector-pass-2026";
    /// <summary>A second inspector of the squad: the two-person rule needs one to dismiss what the other acknowledged.</summary>
    public const string Colleague = "wang.fang";
    public const string ColleaguePassword = "Colleague-pass-2026";
    public const string AdminPassword = "Admin-pass-2026";

    private IPlaywright? _playwright;

    public MosquittoBroker Broker { get; private set; } = null!;
    public InfluxServer Influx { get; private set; } = null!;
    public FleetServer Fleet { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The release key the fleet trusts (`Updates:ReleaseKeys`): releases signed with it can be uploaded.</summary>
    public ReleaseKey ReleaseKey { get; } = ReleaseKey.Generate();

    /// <summary>The phone width every page is checked at.</summary>
    public const int PhoneWidth = 360;

    /// <summary>A page in a fresh browser context on the fleet: a phone (touch, 2× pixels) at <see cref="PhoneWidth"/> or
    /// less, a desktop above; China's time zone; console errors and page errors written to the test's output.</summary>
    public async Task<IPage> NewPage(int width, ITestOutputHelper output, string locale = "zh-CN", Geolocation? location = null)
    {
        var phone = width <= PhoneWidth;
        var context = await Browser.NewContextAsync(new()
        {
            BaseURL = Fleet.Url.ToString(), ViewportSize = new() { Width = width, Height = phone ? 780 : 900 }, DeviceScaleFactor = phone ? 2 : 1,
            Locale = locale, TimezoneId = "Asia/Shanghai", IsMobile = phone, HasTouch = phone,
        });
        if (location is not null)
        {
            await context.SetGeolocationAsync(location);
            await context.GrantPermissionsAsync(["geolocation"]);
        }
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        page.Console += (_, m) => { if (m.Type == "error") output.WriteLine($"console: {m.Text}"); };
        page.PageError += (_, e) => output.WriteLine($"page error: {e}");
        return page;
    }

    /// <summary>Where the screenshots go: TestResults/screenshots beside the test assembly.</summary>
    public static string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
            throw new InvalidOperationException($"{Chromium} is missing: the browser tests drive Debian's chromium; install it with `apt-get install -y chromium`.");
        Directory.CreateDirectory(Screenshots);
        Broker = MosquittoBroker.Start();
        Influx = InfluxServer.Start();
        var options = new FleetOptions { MqttHost = Broker.Host, MqttPort = Broker.Port, InfluxUrl = Influx.Url, ClientId = "fleet-browser" };
        options.Environment["Fleet__InitialAdminPassword"] = AdminPassword;
        options.Environment["Updates__ReleaseKeys__0"] = ReleaseKey.PublicKeyHex;
        options.Environment["Updates__TickSeconds"] = "0.25";
        Fleet = FleetServer.Start(options);
        await Seed();
        // A lead that is already there when the queue opens (the live one comes from the test).
        await Publish("GW-OTHER-1", """{"fume":3.5,"fan":1,"pur":1}""");
        await LeadsOf("R-OTHER");
        try
        {
            _playwright = await Playwright.CreateAsync();
            Browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true });
        }
        catch (PlaywrightException e)
        {
            throw new InvalidOperationException($"chromium at {Chromium} did not start under Playwright: {e.Message}", e);
        }
    }

    private async Task Seed()
    {
        using var http = Fleet.Http();
        await Created(http.PostAsJsonAsync("/api/squads", new { id = "SQ-EAST", name = "东区中队", grids = new[] { "G-EAST" }, members = new[] { Inspector } }));
        await Created(http.PostAsJsonAsync("/api/squads", new { id = "SQ-WEST", name = "西区中队", grids = new[] { "G-WEST" }, members = Array.Empty<string>() }));
        await Created(http.PostAsJsonAsync("/api/people", new { login = Inspector, name = "李伟", role = "inspector", password = InspectorPassword, squad = "SQ-EAST" }));
        await Created(http.PostAsJsonAsync("/api/people", new { login = Colleague, name = "王芳", role = "inspector", password = ColleaguePassword, squad = "SQ-EAST" }));
        var import = await http.PostAsJsonAsync("/api/import", new
        {
            sites = new object[]
            {
                new { id = "R-WEB", name = "老王饭店", kind = "fume", lat = 30.2741, lon = 120.1551, grid = "G-EAST" },
                new { id = "R-OTHER", name = "川味小馆", kind = "fume", lat = 30.2790, lon = 120.1602, grid = "G-EAST" },
                new { id = "R-WEST", name = "西湖面馆", kind = "fume", lat = 30.2602, lon = 120.1301, grid = "G-WEST",
                    businessHours = WestHours.Select(h => new { from = h.From, to = h.To }).ToArray() },
            },
            devices = new[] { new { id = "GW-WEB-1", site = "R-WEB" }, new { id = "GW-OTHER-1", site = "R-OTHER" }, new { id = "GW-WEST-1", site = "R-WEST" } },
        });
        Assert.True(import.IsSuccessStatusCode, await import.Content.ReadAsStringAsync());
        foreach (var site in new[] { "R-WEB", "R-OTHER", "R-WEST" })
            await Created(http.PostAsJsonAsync($"/api/sites/{site}/commissioning",
                new { passed = true, note = "browser test: reviewed before the records it judges", validFrom = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero) }));
    }

    /// <summary>When 西湖面馆 (R-WEST) is open, Shanghai time: a tamper event there in these hours is also a suspected-evasion lead.</summary>
    public static readonly (string From, string To)[] WestHours = [("10:00", "14:00"), ("17:00", "21:00")];

    /// <summary>True when 西湖面馆 is open at the time.</summary>
    public static bool WestOpen(DateTimeOffset time)
    {
        var local = TimeOnly.FromDateTime(time.ToOffset(TimeSpan.FromHours(8)).DateTime);
        return WestHours.Any(h => local >= TimeOnly.Parse(h.From) && local < TimeOnly.Parse(h.To));
    }

    /// <summary>An API client signed in as a person (cookie session), as a colleague's browser would be.</summary>
    public async Task<HttpClient> SignIn(string login, string password)
    {
        var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = Fleet.Url };
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync("/api/login", new { login, password })).StatusCode);
        return http;
    }

    private static async Task Created(Task<HttpResponseMessage> request)
    {
        var response = await request;
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Publishes 12 one-minute records ending now, as the gateway would; each record's measurements as JSON.</summary>
    public async Task Publish(string device, string measurements)
    {
        await using var client = await TestMqttClient.ConnectAsync(Broker.Host, Broker.Port, device);
        var start = DateTimeOffset.UtcNow.AddMinutes(-12).ToUnixTimeSeconds() / 60 * 60;
        var recs = string.Join(",", Enumerable.Range(0, 12).Select(i => $$"""{"seq":{{i + 1}},"t":{{start + i * 60}},"dur":60,"q":0,"m":{{measurements}}}"""));
        await client.PublishAsync($"iot/v1/{device}/telemetry", Encoding.UTF8.GetBytes($$"""{"v":1,"dev":"{{device}}","fw":"1.0.0","boot":1,"recs":[{{recs}}]}"""));
    }

    /// <summary>Signs a firmware release with <see cref="ReleaseKey"/> (the release tool's own publish) and uploads it.</summary>
    public async Task UploadRelease(string version, string notes, bool allowDowngrade = false)
    {
        var dir = Directory.CreateTempSubdirectory("iot-browser-release-").FullName;
        try
        {
            var source = Path.Combine(dir, "firmware.bin");
            await File.WriteAllTextAsync(source, $$"""{"version":"{{version}}","pad":"{{new string('x', 4096)}}"}""");
            var document = Releases.Publish(source, version, notes, ReleaseKey, Path.Combine(dir, "out"), "esp32", allowDowngrade, DateTimeOffset.UtcNow);
            using var form = new MultipartFormDataContent();
            form.Add(new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(dir, "out", ReleaseDocument.FileName))), "release", ReleaseDocument.FileName);
            var bundle = new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(dir, "out", document.File)));
            bundle.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
            form.Add(bundle, "bundle", document.File);
            using var http = Fleet.Http();
            await Created(http.PostAsync("/api/releases", form));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The enforcement leads of a site, once there is at least one.</summary>
    public async Task<JsonArray> LeadsOf(string site, int seconds = 30)
    {
        using var http = Fleet.Http();
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var leads = await http.GetAllAsync($"/api/leads?site={site}");
            if (leads.Count > 0) return leads;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no lead at {site} after {seconds} s\nfleet output:\n{Fleet.RecentOutput}");
            await Task.Delay(200);
        }
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        Fleet?.Dispose();
        Influx?.Dispose();
        Broker?.Dispose();
    }
}
