using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Iot.Testing;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Iot.Browser.Tests;

/// <summary>The engineers' OTA campaigns page (wwwroot/engineer/campaigns/): a campaign's stages and every gateway's state in
/// Chinese at 360 px, paused, resumed, aborted and rolled back from the phone with the fleet's state checked through the API;
/// a campaign created from the form on a desktop in English; read-only for an inspector; the old address leads to the page.</summary>
public sealed class CampaignsPageTests(BrowserStack stack, ITestOutputHelper output) : IClassFixture<BrowserStack>
{
    private const int PhoneWidth = BrowserStack.PhoneWidth;
    private const string Engineer = "qian.gong";
    private const string EngineerPassword = "Engineer-pass-2026";

    [Fact]
    public async Task An_engineer_follows_a_campaign_pauses_resumes_aborts_and_rolls_it_back_on_a_phone_in_chinese()
    {
        await Setup();
        var id = await CreateCampaign(new { version = "1.1.0", target = new { devices = new[] { "GW-WEB-1", "GW-OTHER-1" } }, stages = new[] { 50, 100 } });
        // The first stage's gateway was sent the command; it says it is downloading (its own `ota` event).
        await Eventually(id, c => State(c, "GW-OTHER-1") == "sent", "the command sent to GW-OTHER-1");
        await using (var gateway = await TestMqttClient.ConnectAsync(stack.Broker.Host, stack.Broker.Port, "GW-OTHER-1"))
            await gateway.PublishAsync("iot/v1/GW-OTHER-1/event", Encoding.UTF8.GetBytes(
                $$$"""{"v":1,"dev":"GW-OTHER-1","t":{{{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}}},"type":"ota","data":{"id":"campaign-{{{id}}}","phase":"downloading","percent":40,"version":"1.1.0","running":"1.0.0"}}"""));
        await Eventually(id, c => State(c, "GW-OTHER-1") == "downloading", "GW-OTHER-1 downloading");

        var page = await NewPage(PhoneWidth);
        await SignIn(page, "/engineer/campaigns/", Engineer, EngineerPassword);
        var card = page.Locator($"#campaigns li[data-id='{id}']");
        await Expect(page.Locator("header nav a[href='/engineer/campaigns/']")).ToHaveTextAsync("固件升级"); // engineers' link
        await Expect(card).ToHaveAttributeAsync("data-status", "running");
        await Expect(card.Locator(".pill.campaign")).ToHaveTextAsync("升级中");
        await Expect(card).ToContainTextAsync("第 1 批，共 2 批");
        await Expect(card.Locator(".stage").First).ToContainTextAsync("第 1 批（50%）：已升级 0，进行中 1，失败 0，排队 0，共 1 台");
        // Every gateway of an active campaign is listed with its own state.
        var downloading = card.Locator("li[data-device='GW-OTHER-1']");
        await Expect(downloading).ToHaveAttributeAsync("data-state", "downloading");
        await Expect(downloading).ToContainTextAsync("下载中 40%");
        await Expect(downloading).ToContainTextAsync("原版本 1.0.0");
        await Expect(card.Locator("li[data-device='GW-WEB-1']")).ToContainTextAsync("排队");
        await AssertInTheBureausWords(page);
        await PageChecks.Fits(page, PhoneWidth);
        await Shot(page, "campaigns-zh-360-01-running");

        // Pause: the fleet's campaign is paused, and the page says so.
        await card.Locator("button.pause").ClickAsync();
        await Expect(card).ToHaveAttributeAsync("data-status", "paused");
        await Expect(card.Locator(".pill.campaign")).ToHaveTextAsync("已暂停");
        await Expect(card.Locator(".why")).ToHaveTextAsync("由工程师暂停");
        Assert.Equal("paused", await Status(id));
        await Expect(card.Locator("button.pause")).ToHaveCountAsync(0);

        // Resume; the gateway installs the update, confirms it and sends its records from the new version.
        await card.Locator("button.resume").ClickAsync();
        await Expect(card).ToHaveAttributeAsync("data-status", "running");
        Assert.Equal("running", await Status(id));
        await Expect(card.Locator("button.rollback")).ToHaveCountAsync(0); // nothing to take back yet
        await using (var gateway = await TestMqttClient.ConnectAsync(stack.Broker.Host, stack.Broker.Port, "GW-OTHER-1"))
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            await gateway.PublishAsync("iot/v1/GW-OTHER-1/event", Encoding.UTF8.GetBytes(
                $$$"""{"v":1,"dev":"GW-OTHER-1","t":{{{now}}},"type":"ota","data":{"id":"campaign-{{{id}}}","phase":"confirmed","version":"1.1.0","running":"1.1.0"}}"""));
            await gateway.PublishAsync("iot/v1/GW-OTHER-1/telemetry", Encoding.UTF8.GetBytes(
                $$$"""{"v":1,"dev":"GW-OTHER-1","fw":"1.1.0","boot":2,"recs":[{"seq":100,"t":{{{now / 60 * 60 - 60}}},"dur":60,"q":0,"m":{"fume":0.2,"fan":0,"pur":0}}]}"""));
        }
        var confirmed = card.Locator("li[data-device='GW-OTHER-1']");
        await Expect(confirmed).ToHaveAttributeAsync("data-state", "confirmed", new() { Timeout = 20_000 }); // the page refreshes itself
        await Expect(confirmed).ToContainTextAsync("已确认新版本");
        await Expect(confirmed).ToContainTextAsync("运行 1.1.0");

        // Abort asks first; cancelled, nothing changes.
        await card.Locator("button.abort").ClickAsync();
        await Expect(card.Locator("form.abort")).ToContainTextAsync("中止后未下发的设备不再升级");
        await Shot(page, "campaigns-zh-360-02-abort");
        await card.Locator("form.abort button", new() { HasText = "取消" }).ClickAsync();
        Assert.Equal("running", await Status(id));
        await card.Locator("button.abort").ClickAsync();
        await card.Locator("form.abort button[type=submit]").ClickAsync();
        await Expect(card).ToHaveAttributeAsync("data-status", "aborted");
        await Expect(card.Locator(".pill.campaign")).ToHaveTextAsync("已中止");
        await Expect(card.Locator(".why")).ToHaveTextAsync("由工程师中止");
        Assert.Equal("aborted", await Status(id));
        using (var http = stack.Fleet.Http())
        {
            var audit = await http.GetAllAsync("/api/audit?action=campaign.abort");
            Assert.Contains(audit, e => (string?)e!["actor"] == Engineer);
        }

        // Roll back what it updated, to the version the gateways ran before: a new campaign of the signed downgrade 1.0.0.
        await card.Locator("button.rollback").ClickAsync();
        await Expect(card.Locator("form.rollback select option").First).ToHaveTextAsync("升级前的版本");
        await card.Locator("form.rollback button[type=submit]").ClickAsync();
        var back = page.Locator("#campaigns li.card", new() { HasText = $"回退任务 #{id}" });
        await Expect(back).ToHaveAttributeAsync("data-status", "running");
        await Expect(back).ToContainTextAsync("→ 1.0.0");
        await Expect(back.Locator("li[data-device]")).ToHaveCountAsync(1);
        await Expect(back.Locator("li[data-device='GW-OTHER-1']")).ToBeVisibleAsync();
        await Expect(back).Not.ToContainTextAsync("rollback of"); // the fleet's English note says what 回退任务 says
        await Expect(card.Locator("button.rollback")).ToHaveCountAsync(0); // its rollback is under way
        // A finished campaign's gateways are folded away, and fetched when unfolded.
        await Expect(card.Locator("li[data-device]")).ToHaveCountAsync(0);
        await card.Locator("details.devices summary").ClickAsync();
        await Expect(card.Locator("li[data-device='GW-OTHER-1']")).ToContainTextAsync("运行正常"); // seen healthy on 1.1.0 by the fleet
        await Expect(card.Locator("li[data-device='GW-WEB-1']")).ToHaveAttributeAsync("data-state", "sent");
        using (var http = stack.Fleet.Http())
        {
            var rollback = (await http.GetAllAsync("/api/campaigns")).Single(c => (long?)c!["rollbackOf"] == id)!;
            Assert.Equal(("1.0.0", "running"), ((string)rollback["version"]!, (string)rollback["status"]!));
            var devices = (await http.GetFromJsonAsync<JsonObject>($"/api/campaigns/{(long)rollback["id"]!}"))!["devices"]!.AsArray();
            Assert.Equal(["GW-OTHER-1"], devices.Select(d => (string)d!["device"]!));
        }
        await AssertInTheBureausWords(page);
        await PageChecks.Fits(page, PhoneWidth);
        await Shot(page, "campaigns-zh-360-03-rolled-back");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task On_a_desktop_in_english_an_engineer_creates_a_campaign_from_the_form_and_an_inspector_only_reads()
    {
        await Setup();
        var desk = await NewPage(1280);
        // The old address of the server-rendered page leads here.
        await desk.GotoAsync("/engineer/campaigns");
        await Expect(desk).ToHaveURLAsync(new Regex("/login\\.html\\?next=%2Fengineer%2Fcampaigns%2F"));
        await desk.FillAsync("#loginName", Engineer);
        await desk.FillAsync("#password", EngineerPassword);
        await desk.ClickAsync("#signIn");
        await Expect(desk).ToHaveURLAsync(new Regex("/engineer/campaigns/$"));
        await desk.ClickAsync("#lang");
        await Expect(desk.Locator("#newCampaign summary")).ToHaveTextAsync("New campaign");
        await desk.ClickAsync("#newCampaign summary");
        await Expect(desk.Locator("#release option[value='1.1.0']")).ToHaveTextAsync("1.1.0 · esp32 · 烟感网关 1.1.0");
        await desk.SelectOptionAsync("#release", "1.1.0");
        await desk.SelectOptionAsync("#kind", "fume");
        await desk.FillAsync("#devices", "GW-WEST-1");
        await desk.FillAsync("#stages", "100");
        await desk.FillAsync("#halt", "20");
        await desk.FillAsync("#notes", "west kitchen first");
        await Shot(desk, "campaigns-en-desktop-01-form");
        await desk.ClickAsync("#create");

        var card = desk.Locator("#campaigns li", new() { HasText = "west kitchen first" });
        await Expect(card).ToHaveAttributeAsync("data-status", "running");
        await Expect(card.Locator(".pill.campaign")).ToHaveTextAsync("running");
        await Expect(card.Locator("details.devices summary")).ToHaveTextAsync("Devices (1)");
        await Expect(card.Locator("li[data-device='GW-WEST-1']")).ToContainTextAsync("stage 1");
        var id = long.Parse((await card.GetAttributeAsync("data-id"))!);
        using (var http = stack.Fleet.Http())
        {
            var made = (await http.GetFromJsonAsync<JsonObject>($"/api/campaigns/{id}"))!;
            Assert.Equal(("running", "1.1.0", 0.2), ((string)made["status"]!, (string)made["version"]!, (double)made["spec"]!["haltThreshold"]!));
            Assert.Equal(["GW-WEST-1"], made["devices"]!.AsArray().Select(d => (string)d!["device"]!));
            Assert.Equal("fume", (string)made["spec"]!["target"]!["siteKind"]!);
        }
        // A refusal (the devices are in this campaign already) is the fleet's own words, beside the form.
        await desk.ClickAsync("#newCampaign summary");
        await desk.FillAsync("#devices", "GW-WEST-1");
        await desk.ClickAsync("#create");
        await Expect(desk.Locator("#createError")).ToContainTextAsync("another active campaign");
        await PageChecks.Fits(desk, 1280);
        await Shot(desk, "campaigns-en-desktop-02-created");
        await desk.Context.CloseAsync();

        // An inspector sees the campaigns, in Chinese at 360 px, and no action.
        var inspector = await NewPage(PhoneWidth);
        await SignIn(inspector, "/engineer/campaigns/", BrowserStack.Inspector, BrowserStack.InspectorPassword);
        await Expect(inspector.Locator($"#campaigns li[data-id='{id}'] .pill.campaign")).ToHaveTextAsync("升级中");
        await Expect(inspector.Locator("#campaigns button")).ToHaveCountAsync(0);
        await Expect(inspector.Locator("#newCampaign")).ToBeHiddenAsync();
        await Expect(inspector.Locator("#readOnly")).ToBeVisibleAsync();
        await Expect(inspector.Locator("header nav a[href='/engineer/campaigns/']")).ToHaveCountAsync(0); // not on an inspector's bar
        // GW-WEST-1 refuses the bundle: its stage fails past the 20 % threshold and the fleet halts the campaign; the open page
        // follows within its 5 s refresh.
        await using (var gateway = await TestMqttClient.ConnectAsync(stack.Broker.Host, stack.Broker.Port, "GW-WEST-1"))
            await gateway.PublishAsync("iot/v1/GW-WEST-1/event", Encoding.UTF8.GetBytes(
                $$$"""{"v":1,"dev":"GW-WEST-1","t":{{{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}}},"type":"ota","data":{"id":"campaign-{{{id}}}","phase":"failed","reason":"hash_mismatch","version":"1.1.0","running":"1.0.0"}}"""));
        var halted = inspector.Locator($"#campaigns li[data-id='{id}']");
        await Expect(halted).ToHaveAttributeAsync("data-status", "halted", new() { Timeout = 20_000 });
        await Expect(halted.Locator(".pill.campaign")).ToHaveTextAsync("已熔断（失败过多）");
        await Expect(halted.Locator(".why")).ToHaveTextAsync("第 1 批 1 台中 1 台失败，超过 20% 的熔断阈值");
        await halted.Locator("details.devices summary").ClickAsync();
        await Expect(halted.Locator("li[data-device='GW-WEST-1']")).ToContainTextAsync("失败");
        await Expect(halted.Locator("li[data-device='GW-WEST-1'] code")).ToHaveTextAsync("hash_mismatch"); // the gateway's own word
        await AssertInTheBureausWords(inspector);
        await PageChecks.Fits(inspector, PhoneWidth);
        await Shot(inspector, "campaigns-zh-360-04-inspector");
        await inspector.Context.CloseAsync();
    }

    private static readonly SemaphoreSlim Once = new(1, 1);
    private static bool _ready;

    /// <summary>An engineer, the signed release 1.1.0 and the signed downgrade 1.0.0 to roll back to, once per fleet.</summary>
    private async Task Setup()
    {
        await Once.WaitAsync();
        try
        {
            if (_ready) return;
            using var http = stack.Fleet.Http();
            var engineer = await http.PostAsJsonAsync("/api/people", new { login = Engineer, name = "钱工", role = "engineer", password = EngineerPassword });
            Assert.True(engineer.IsSuccessStatusCode, await engineer.Content.ReadAsStringAsync());
            await stack.UploadRelease("1.1.0", "烟感网关 1.1.0");
            await stack.UploadRelease("1.0.0", "回退用", allowDowngrade: true);
            _ready = true;
        }
        finally
        {
            Once.Release();
        }
    }

    private async Task<long> CreateCampaign(object spec)
    {
        using var http = stack.Fleet.Http();
        var answer = await http.PostAsJsonAsync("/api/campaigns", spec);
        var body = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == HttpStatusCode.Created, body);
        return (long)JsonNode.Parse(body)!["id"]!;
    }

    private async Task<string> Status(long id)
    {
        using var http = stack.Fleet.Http();
        return (string)(await http.GetFromJsonAsync<JsonObject>($"/api/campaigns/{id}"))!["status"]!;
    }

    private static string? State(JsonObject campaign, string device) =>
        (string?)campaign["devices"]!.AsArray().FirstOrDefault(d => (string)d!["device"]! == device)?["state"];

    private async Task Eventually(long id, Func<JsonObject, bool> done, string what)
    {
        using var http = stack.Fleet.Http();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var campaign = (await http.GetFromJsonAsync<JsonObject>($"/api/campaigns/{id}"))!;
            if (done(campaign)) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what}: not after 30 s\n{campaign.ToJsonString()}\nfleet output:\n{stack.Fleet.RecentOutput}");
            await Task.Delay(200);
        }
    }

    private static Task AssertInTheBureausWords(IPage page) => PageChecks.InTheBureausWords(page);

    private async Task Shot(IPage page, string name)
    {
        var path = Path.Combine(BrowserStack.Screenshots, $"{name}.png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
    }

    private Task<IPage> NewPage(int width) => stack.NewPage(width, output);

    private static Task SignIn(IPage page, string path, string login, string password) => PageChecks.SignIn(page, path, login, password);
}
