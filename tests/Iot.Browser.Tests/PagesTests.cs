using System.Net.Http.Json;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Iot.Contract.Identity;
using Microsoft.Playwright;
using Xunit.Abstractions;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Iot.Browser.Tests;

/// <summary>The inspector's pages in chromium at phone width: sign in, filter the queue, a lead arriving live,
/// the closed loop on the lead page, the language switch, the sites map and the monthly report.
/// Screenshots of every step go to <see cref="BrowserStack.Screenshots"/>.</summary>
public sealed partial class PagesTests(BrowserStack stack, ITestOutputHelper output) : IClassFixture<BrowserStack>
{
    private const int PhoneWidth = BrowserStack.PhoneWidth;

    [Fact]
    public async Task An_inspector_signs_in_filters_the_queue_sees_a_live_lead_and_takes_it_through_the_loop_in_both_languages()
    {
        var page = await NewPage();

        // Signing in: the queue sends to the sign-in page and back.
        await page.GotoAsync("/leads/?rule=");
        await Expect(page).ToHaveURLAsync(new Regex("/login\\.html"));
        await Expect(page.Locator("#signIn")).ToHaveTextAsync("登录");
        await page.FillAsync("#loginName", BrowserStack.Inspector);
        await page.FillAsync("#password", BrowserStack.InspectorPassword);
        await Shot(page, "01-sign-in");
        await page.ClickAsync("#signIn");
        await Expect(page).ToHaveURLAsync(new Regex("/leads/"));
        await Expect(page.Locator("#who")).ToHaveTextAsync("李伟");
        await Expect(page.Locator("#leads li")).ToHaveCountAsync(1);
        await Expect(page.Locator("#leads li").First).ToContainTextAsync("油烟浓度超标");
        await Expect(page.Locator("#live")).ToHaveClassAsync(new Regex("\\bon\\b"));
        await Shot(page, "02-queue");

        // A breach over MQTT becomes a lead that appears without reloading.
        await stack.Publish("GW-WEB-1", """{"fume":0.8,"fan":1,"pur":0}""");
        var fresh = page.Locator("#leads li.fresh");
        await Expect(fresh).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Expect(fresh).ToContainTextAsync("R-WEB");
        await Expect(fresh).ToContainTextAsync("不正常使用油烟净化设施");
        await Expect(fresh.Locator(".timer")).ToContainTextAsync("距到场时限");
        var id = long.Parse((await fresh.GetAttributeAsync("data-id"))!);
        await Shot(page, "03-live-lead");

        // On a phone the queue comes first: the filters are folded into one line above it.
        await Expect(page.Locator("#filters")).ToBeHiddenAsync();
        var firstLead = await page.Locator("#leads li").First.BoundingBoxAsync();
        Assert.True(firstLead!.Y < 300, $"the first lead starts {firstLead.Y} px down the phone's screen");
        await page.ClickAsync("#filterPanel summary");

        // Filters: by rule, by site, by case status; the address keeps them.
        await page.SelectOptionAsync("#rule", "fume.purifier_off");
        await Expect(page.Locator("#leads li")).ToHaveCountAsync(1);
        await Expect(page.Locator("#leads li")).ToHaveAttributeAsync("data-id", id.ToString());
        Assert.Contains("rule=fume.purifier_off", page.Url);
        await Shot(page, "04-filter-rule");
        await page.SelectOptionAsync("#rule", "");
        await page.SelectOptionAsync("#site", "R-OTHER");
        await Expect(page.Locator("#leads li")).ToHaveCountAsync(1);
        await Expect(page.Locator("#leads li")).ToContainTextAsync("R-OTHER");
        await page.SelectOptionAsync("#site", "");
        await page.SelectOptionAsync("#grid", "G-WEST");
        await Expect(page.Locator("#empty")).ToBeVisibleAsync();
        await page.SelectOptionAsync("#grid", "G-EAST");
        await page.SelectOptionAsync("#status", "open");
        await Expect(page.Locator("#leads li")).ToHaveCountAsync(2);
        await Expect(page.Locator("#activeFilters")).ToHaveTextAsync("（已选 2 项）");
        await Shot(page, "05-filter-site-grid-status");
        await AssertFitsThePhone(page);

        // The lead: readings against the limit, the episode marked, devices and commissioning, the site's permits.
        await page.ClickAsync($"#leads li[data-id='{id}'] a");
        await Expect(page).ToHaveURLAsync(new Regex($"/leads/lead\\.html\\?id={id}"));
        await Expect(page.Locator("#chart svg line.limit")).ToHaveCountAsync(1);
        await Expect(page.Locator("#chart svg path.series[data-series='GW-WEB-1 pur']")).ToHaveCountAsync(1);
        Assert.True(await page.Locator("#chart svg rect.band").CountAsync() >= 2);
        Assert.True(await page.Locator("#chart svg circle.over").CountAsync() >= 10, "the minutes with the purifier off are marked");
        await Expect(page.Locator("#devices tr[data-device='GW-WEB-1']")).ToContainTextAsync("1.0.0");
        await Expect(page.Locator("#commissioning li")).ToHaveCountAsync(1);
        await Expect(page.Locator("#siteHistory")).ToContainTextAsync("无以往线索");
        await Expect(page.Locator("#evidence")).ToHaveAttributeAsync("href", $"/api/leads/{id}/evidence.zip");
        await Expect(page.Locator("#caseStatus")).ToHaveTextAsync("待立案");
        await Expect(page.Locator("#timer")).ToContainTextAsync("距到场时限");
        Assert.False(await page.Locator("#acknowledge").IsDisabledAsync());
        Assert.True(await page.Locator("#result").IsDisabledAsync());
        await Shot(page, "06-lead");
        await AssertInTheBureausWords(page);
        await AssertFitsThePhone(page);

        // The loop: acknowledge, dispatch to the squad owning the grid, the on-site result, dismiss with a reason by a colleague
        // (two-person rule: who acknowledged a lead does not dismiss it).
        await Step(page, "acknowledge", "acknowledged");
        await page.ClickAsync("#dispatch");
        await Expect(page.Locator("#dispatchSquad option").First).ToContainTextAsync("东区中队");
        await Shot(page, "07-dispatch");
        await page.ClickAsync("#submitStep");
        await Expect(page.Locator("#caseStatus")).ToHaveAttributeAsync("data-status", "dispatched");
        await Expect(page.Locator("#caseFacts")).ToContainTextAsync("东区中队 (SQ-EAST)");
        await page.ClickAsync("#result");
        await page.SelectOptionAsync("#resultValue", "no_violation");
        await page.FillAsync("#stepNote", "净化器已开启，现场未见油烟直排");
        await page.ClickAsync("#submitStep");
        await Expect(page.Locator("#caseStatus")).ToHaveAttributeAsync("data-status", "no_violation");
        await Expect(page.Locator("#timer")).ToContainTextAsync("到场");
        Assert.True(await page.Locator("#confirm").IsDisabledAsync());
        await page.ClickAsync("#dismiss");
        await page.SelectOptionAsync("#dismissReason", "no_violation_on_site");
        await page.FillAsync("#stepNote", "复核监测数据后不予立案");
        await Shot(page, "08-dismiss");
        await page.ClickAsync("#submitStep");
        await Expect(page.Locator("#caseError")).ToContainTextAsync("two-person rule");
        await Shot(page, "08b-two-person-rule");
        await page.ClickAsync("#cancelStep");
        using (var colleague = await stack.SignIn(BrowserStack.Colleague, BrowserStack.ColleaguePassword))
            Assert.Equal(HttpStatusCode.OK, (await colleague.PostAsJsonAsync($"/api/leads/{id}/case/close",
                new { outcome = "dismissed", reason = "no_violation_on_site", note = "复核监测数据后不予立案" })).StatusCode);
        // The page follows the colleague's step live.
        await Expect(page.Locator("#caseStatus")).ToHaveAttributeAsync("data-status", "dismissed");
        await Expect(page.Locator("#caseStatus")).ToHaveTextAsync("不予立案·销号");
        await Expect(page.Locator("#history li")).ToHaveCountAsync(4);
        Assert.True(await page.Locator("#dismiss").IsDisabledAsync());
        await Shot(page, "09-closed");
        await AssertInTheBureausWords(page);

        // The API agrees with what the page showed.
        using (var http = stack.Fleet.Http())
        {
            var c = (await http.GetFromJsonAsync<JsonObject>($"/api/leads/{id}/case"))!;
            Assert.Equal("dismissed", (string)c["status"]!);
            Assert.Equal("no_violation_on_site", (string)c["closeReason"]!);
            Assert.Equal("SQ-EAST", (string)c["squad"]!);
            Assert.Equal(["acknowledge", "dispatch", "result", "close"], c["history"]!.AsArray().Select(h => (string)h!["step"]!));
            Assert.Equal([BrowserStack.Inspector, BrowserStack.Inspector, BrowserStack.Inspector, BrowserStack.Colleague],
                c["history"]!.AsArray().Select(h => (string)h!["by"]!));
        }

        // Chinese first; English one tap away, remembered, and back.
        await Expect(page.Locator("header nav a").First).ToHaveTextAsync("线索");
        await Expect(page.Locator("#acknowledge")).ToHaveTextAsync("立案");
        await page.ClickAsync("#lang");
        await Expect(page.Locator("header nav a").First).ToHaveTextAsync("Leads");
        await Expect(page.Locator("#acknowledge")).ToHaveTextAsync("Register");
        await Expect(page.Locator("#caseStatus")).ToHaveTextAsync("not filed · written off");
        await Expect(page.Locator("#title")).ToContainTextAsync("Fume purifier not in normal use");
        await Shot(page, "10-english");
        await page.GotoAsync("/leads/");
        await Expect(page.Locator("#count")).ToHaveTextAsync("2 leads");
        await page.ClickAsync("#lang");
        await Expect(page.Locator("#count")).ToHaveTextAsync("2 条线索");
        await Expect(page.Locator("header nav a").First).ToHaveTextAsync("线索");

        await page.ClickAsync("#signOut");
        await Expect(page).ToHaveURLAsync(new Regex("/login\\.html"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_queue_and_the_lead_page_take_rules_statuses_channels_and_steps_from_the_fleets_meta()
    {
        JsonObject meta;
        using (var http = await stack.SignIn(BrowserStack.Inspector, BrowserStack.InspectorPassword))
            meta = (await http.GetFromJsonAsync<JsonObject>("/api/meta"))!;
        var page = await NewPage();
        // What the fleet says, with one rule and one status it does not have, fume leads judged on the fume alone and no
        // step allowed from any state: the pages must show exactly that, so they read /api/meta and keep no copies.
        await page.RouteAsync("**/api/meta", async route =>
        {
            var changed = meta.DeepClone().AsObject();
            changed["rules"]!.AsArray().Add(new JsonObject
            {
                ["id"] = "noise.server_only", ["label"] = new JsonObject { ["zh"] = "仅服务器的规则", ["en"] = "Server-only rule" }, ["kind"] = "noise",
                ["unit"] = "dB(A)", ["channels"] = new JsonArray("laeq"), ["atNight"] = false, ["lowerIsWorse"] = false,
            });
            changed["statuses"]!.AsArray().Add(new JsonObject { ["id"] = "server_only", ["label"] = new JsonObject { ["zh"] = "仅服务器的状态", ["en"] = "Server-only status" } });
            foreach (var rule in changed["rules"]!.AsArray())
                if ((string)rule!["id"]! == "fume.concentration") rule["channels"] = new JsonArray("fume");
            changed["caseSteps"] = new JsonObject();
            await route.FulfillAsync(new() { Status = 200, ContentType = "application/json", Body = changed.ToJsonString() });
        });

        await SignIn(page, "/leads/");
        await Expect(page.Locator("#rule option[value='noise.server_only']")).ToHaveTextAsync("仅服务器的规则");
        await Expect(page.Locator("#status option[value='server_only']")).ToHaveTextAsync("仅服务器的状态");
        foreach (var rule in meta["rules"]!.AsArray())
            await Expect(page.Locator($"#rule option[value='{(string)rule!["id"]!}']")).ToHaveTextAsync((string)rule["label"]!["zh"]!);
        foreach (var status in meta["statuses"]!.AsArray())
            await Expect(page.Locator($"#status option[value='{(string)status!["id"]!}']")).ToHaveTextAsync((string)status["label"]!["zh"]!);
        await Expect(page.Locator("#rule option")).ToHaveCountAsync(meta["rules"]!.AsArray().Count + 2); // and "all"
        await Expect(page.Locator("#status option")).ToHaveCountAsync(meta["statuses"]!.AsArray().Count + 2);
        await page.ClickAsync("#lang");
        await Expect(page.Locator("#rule option[value='noise.server_only']")).ToHaveTextAsync("Server-only rule");
        await page.ClickAsync("#lang");

        var lead = (long)(await stack.LeadsOf("R-OTHER"))[0]!["id"]!;
        await page.GotoAsync($"/leads/lead.html?id={lead}");
        await Expect(page.Locator("#legend")).ToContainTextAsync("GW-OTHER-1 fume");
        await Expect(page.Locator("#legend")).Not.ToContainTextAsync("GW-OTHER-1 fan");
        await Expect(page.Locator("#readOnly")).ToBeHiddenAsync(); // an inspector: the buttons are off because of the steps alone
        foreach (var step in await page.Locator("#steps button").AllAsync())
            await Expect(step).ToBeDisabledAsync();
        await page.Context.CloseAsync();

        // The scripts themselves name no rule, status or step list.
        using var plain = new HttpClient { BaseAddress = stack.Fleet.Url };
        foreach (var script in new[] { "/leads/queue.js", "/leads/lead.js" })
        {
            var text = await plain.GetStringAsync(script);
            Assert.DoesNotContain("noise.night_lmax", text);
            Assert.DoesNotContain("not_commissioned", text);
        }
    }

    [Fact]
    public async Task The_sites_map_and_the_monthly_report_draw_from_the_fleets_data()
    {
        var page = await NewPage();
        await SignIn(page, "/sites/");
        await Expect(page.Locator("#map svg circle.site")).ToHaveCountAsync(3);
        await Expect(page.Locator("#map svg circle[data-site='R-OTHER']")).ToHaveClassAsync(new Regex("\\b(some|many)\\b"));
        await Expect(page.Locator("#map svg circle[data-site='R-WEST']")).ToHaveClassAsync(new Regex("\\bquiet\\b"));
        await Expect(page.Locator("#map svg rect.cell")).ToHaveCountAsync(2);
        await Expect(page.Locator("#map svg")).ToContainTextAsync("G-EAST · 东区中队");
        await Expect(page.Locator("#sites section[data-site='R-WEB'] .devices")).ToContainTextAsync("GW-WEB-1");
        await Shot(page, "11-sites");
        await AssertInTheBureausWords(page);
        await AssertFitsThePhone(page);

        await page.ClickAsync("header nav a[href='/report/']");
        await Expect(page).ToHaveURLAsync(new Regex("/report/"));
        await Expect(page.Locator("#rules svg")).ToContainTextAsync("油烟浓度超标");
        await Expect(page.Locator("#hours svg rect.col")).ToHaveCountAsync(24);
        await Expect(page.Locator("#grids svg")).ToContainTextAsync("G-EAST");
        await Expect(page.Locator("#total")).ToContainTextAsync("本月执法线索");
        await Shot(page, "12-report");
        await AssertInTheBureausWords(page);
        await AssertFitsThePhone(page);
        await page.ClickAsync("#lang");
        await Expect(page.Locator("#rules svg")).ToContainTextAsync("Cooking fume");
        await Shot(page, "13-report-english");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_installer_signs_in_on_a_phone_claims_a_gateway_for_a_new_site_and_sees_its_checklist()
    {
        const string id = "NS-BROWSER1";
        var code = Iot.Contract.Identity.ClaimCode.Generate();
        using (var http = stack.Fleet.Http())
        {
            var installer = await http.PostAsJsonAsync("/api/people", new { login = "zhang.gong", name = "张工", role = "installer", password = "Installer-pass-2026" });
            Assert.True(installer.IsSuccessStatusCode, await installer.Content.ReadAsStringAsync());
            var factory = await http.PostAsJsonAsync("/api/factory/devices", new[] { new { id, claimCode = code, bootstrapSecret = Iot.Contract.Identity.BootstrapSecret.Generate() } });
            Assert.True(factory.IsSuccessStatusCode, await factory.Content.ReadAsStringAsync());
        }
        var page = await NewPage();
        // The phone's camera opens the label's link (iot-prov factory --installer-url): sign in, then back with the code.
        var label = new Iot.Provisioning.ClaimPayload(id, code, stack.Fleet.Url).ToString();
        await page.GotoAsync(label);
        await Expect(page).ToHaveURLAsync(new Regex("/login\\.html\\?next=%2Finstall%2F"));
        await page.FillAsync("#loginName", "zhang.gong");
        await page.FillAsync("#password", "Installer-pass-2026");
        await page.ClickAsync("#signIn");
        await Expect(page).ToHaveURLAsync(new Regex($"/install/\\?d={id}&c="));
        await Expect(page.Locator("#code")).ToHaveValueAsync(code);
        await Expect(page.Locator("#fromLabel")).ToContainTextAsync(id);

        await page.CheckAsync("#newSite");
        await page.FillAsync("#siteId", "R-PHONE");
        await page.FillAsync("#siteName", "街角面馆");
        await page.SelectOptionAsync("#siteKind", "fume");
        await page.FillAsync("#lat", "30.2700");
        await page.FillAsync("#lon", "120.1500");
        await page.FillAsync("#grid", "G-EAST");
        await page.FillAsync("#hours", "10-14");
        await page.ClickAsync("#claimButton");
        await Expect(page.Locator("#claimError")).ToContainTextAsync("10:00-14:00;17:00-22:00");
        await page.FillAsync("#hours", "10:00-14:00；17:00-22:00"); // lunch and dinner, with a Chinese semicolon
        await Shot(page, "14-install-claim");
        await page.ClickAsync("#claimButton");

        await Expect(page.Locator("#deviceId")).ToHaveTextAsync(id);
        await Expect(page.Locator("#checks li")).ToHaveCountAsync(5);
        await Expect(page.Locator("#checks li").First).ToContainTextAsync("等待中");
        await Expect(page.Locator("#signOff")).ToBeHiddenAsync(); // nothing to sign until the gateway proves itself
        await Shot(page, "15-install-checklist");
        await AssertFitsThePhone(page);
        using (var http = stack.Fleet.Http())
        {
            var device = await http.GetFromJsonAsync<JsonObject>($"/api/devices/{id}");
            Assert.Equal("R-PHONE", (string?)device!["site"]);
            var site = await http.GetFromJsonAsync<JsonObject>("/api/sites/R-PHONE");
            Assert.Equal(30.27, (double)site!["lat"]!, 4);
            Assert.Equal(["10:00-14:00", "17:00-22:00"], site["businessHours"]!.AsArray().Select(h => $"{h!["from"]}-{h["to"]}"));
        }
        await page.Context.CloseAsync();
    }

    private static Task Step(IPage page, string step, string status) => PageChecks.Step(page, step, status);

    private static Task AssertInTheBureausWords(IPage page) => PageChecks.InTheBureausWords(page);

    private static Task AssertFitsThePhone(IPage page) => PageChecks.Fits(page, PhoneWidth);

    private async Task Shot(IPage page, string name)
    {
        var path = Path.Combine(BrowserStack.Screenshots, $"{name}.png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
    }

    private Task<IPage> NewPage(int width = PhoneWidth) => stack.NewPage(width, output);

    private static Task SignIn(IPage page, string path) => PageChecks.SignIn(page, path);
}
