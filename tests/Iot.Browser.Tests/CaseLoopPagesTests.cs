using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Iot.Browser.Tests;

/// <summary>The case page walking the bureau's loop in chromium — 立案 → 派遣 → 到场签到 (the phone's location, granted to
/// the page by Playwright) → 处置 → 处罚立案 → 核查 by a colleague → 结案 with the fine → 反馈 — in Chinese at 360 px and in
/// English on a desktop, a far check-in flagged, and a typed arrival with its reason when the phone has no location.</summary>
public sealed class CaseLoopPagesTests(BrowserStack stack, ITestOutputHelper output) : IClassFixture<BrowserStack>
{
    private const int PhoneWidth = BrowserStack.PhoneWidth;

    [Fact]
    public async Task On_a_phone_in_chinese_a_penalty_case_walks_from_filing_to_feedback_with_the_check_in_by_location()
    {
        var lead = (long)(await stack.LeadsOf("R-OTHER"))[0]!["id"]!; // 川味小馆 at 30.2790, 120.1602: fume 3.5 mg/m³
        var page = await NewPage(PhoneWidth, "zh-CN", new Geolocation { Latitude = 30.2795f, Longitude = 120.1602f, Accuracy = 20 });
        await SignIn(page, $"/leads/lead.html?id={lead}", BrowserStack.Inspector, BrowserStack.InspectorPassword);

        // The steps are the glossary's words; only 立案 is possible on an open case.
        await Expect(page.Locator("#caseStatus")).ToHaveTextAsync("待立案");
        await Expect(page.Locator("#acknowledge")).ToHaveTextAsync("立案");
        await Expect(page.Locator("#deadline")).ToHaveTextAsync("责令限期改正");
        await Expect(page.Locator("#dismiss")).ToHaveTextAsync("不予立案·销号");
        foreach (var step in new[] { "checkin", "file", "verify", "feedback", "confirm" })
            await Expect(page.Locator($"#{step}")).ToBeDisabledAsync();

        await Step(page, "acknowledge", "acknowledged");
        await Step(page, "dispatch", "dispatched");
        await Expect(page.Locator("#result")).ToBeEnabledAsync();
        await page.ClickAsync("#checkin");
        await Expect(page.Locator("#fixStatus")).ToContainTextAsync("30.27950, 120.16020");
        await Expect(page.Locator("#typedArrival")).ToBeHiddenAsync();
        await Shot(page, "loop-zh-360-01-check-in");
        await page.ClickAsync("#submitStep");
        await Expect(page.Locator("#caseFacts")).ToContainTextAsync(new Regex("距点位 5[5-6](\\.\\d+)? 米"));
        await Expect(page.Locator("#caseFacts [data-far]")).ToHaveCountAsync(0);
        await Expect(page.Locator("#checkin")).ToBeDisabledAsync();

        await page.ClickAsync("#result");
        await Expect(page.Locator("#arrivedAt")).ToHaveCountAsync(0); // the arrival is the check-in's
        await page.SelectOptionAsync("#resultValue", "violation_found");
        await page.FillAsync("#stepNote", "油烟直排，净化设施未开启");
        await page.ClickAsync("#submitStep");
        await Expect(page.Locator("#caseStatus")).ToHaveAttributeAsync("data-status", "violation_found");

        await page.ClickAsync("#file");
        await page.FillAsync("#caseNumber", $"杭综执罚立〔2026〕{lead}号");
        await page.ClickAsync("#submitStep");
        await Expect(page.Locator("#caseFacts")).ToContainTextAsync($"案号杭综执罚立〔2026〕{lead}号");
        await Expect(page.Locator("#file")).ToBeDisabledAsync();

        // Who recorded the result cannot verify it; the page says why, in the server's words.
        await page.ClickAsync("#verify");
        await page.FillAsync("#stepNote", "自己核查");
        await page.ClickAsync("#submitStep");
        await Expect(page.Locator("#caseError")).ToContainTextAsync("someone else must verify");
        await Shot(page, "loop-zh-360-02-verify-refused");
        await page.ClickAsync("#cancelStep");

        // A colleague verifies on their own phone; this page follows live.
        var colleague = await NewPage(PhoneWidth, "zh-CN", null);
        await SignIn(colleague, $"/leads/lead.html?id={lead}", BrowserStack.Colleague, BrowserStack.ColleaguePassword);
        await colleague.ClickAsync("#verify");
        await colleague.FillAsync("#stepNote", "现场照片与监测数据一致");
        await colleague.ClickAsync("#submitStep");
        await Expect(colleague.Locator("#caseFacts")).ToContainTextAsync($"核查{BrowserStack.Colleague}");
        await colleague.Context.CloseAsync();
        await Expect(page.Locator("#caseFacts")).ToContainTextAsync("现场照片与监测数据一致");

        await page.ClickAsync("#confirm");
        await page.FillAsync("#fineYuan", "5000");
        await page.ClickAsync("#submitStep");
        await Expect(page.Locator("#caseStatus")).ToHaveAttributeAsync("data-status", "confirmed");
        await Expect(page.Locator("#caseStatus")).ToHaveTextAsync("结案·属实");
        await Expect(page.Locator("#caseFacts")).ToContainTextAsync("罚款金额（元）5000.00");

        await page.ClickAsync("#feedback");
        await Expect(page.Locator("#feedbackChannel option")).ToHaveCountAsync(4);
        await page.SelectOptionAsync("#feedbackChannel", "hotline_12345");
        await page.FillAsync("#feedbackText", "已立案处罚，工单办结");
        await page.ClickAsync("#submitStep");
        await Expect(page.Locator("#caseFacts [data-channel='hotline_12345']")).ToContainTextAsync("12345 政务服务便民热线");
        await Expect(page.Locator("#history li")).ToHaveCountAsync(8);
        await Expect(page.Locator("#history li[data-step='verify']")).ToContainTextAsync("核查");
        await Expect(page.Locator("#history li[data-step='feedback']")).ToContainTextAsync("反馈");
        await Shot(page, "loop-zh-360-03-closed-with-feedback");
        await AssertInTheBureausWords(page);
        await AssertFits(page, PhoneWidth);

        using var http = stack.Fleet.Http();
        var c = (await http.GetFromJsonAsync<JsonObject>($"/api/leads/{lead}/case"))!;
        Assert.Equal(["acknowledge", "dispatch", "checkin", "result", "file", "verify", "close", "feedback"], c["history"]!.AsArray().Select(h => (string)h!["step"]!));
        Assert.Equal((5000m, BrowserStack.Colleague), ((decimal)c["fineYuan"]!, (string)c["verification"]!["by"]!));
        Assert.Equal((30.2795, false), (Math.Round((double)c["checkIn"]!["lat"]!, 4), (bool)c["checkIn"]!["far"]!));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task On_a_desktop_in_english_a_far_check_in_is_flagged_and_the_case_walks_to_feedback()
    {
        await stack.Publish("GW-WEB-1", """{"fume":0.8,"fan":1,"pur":0}"""); // 老王饭店 at 30.2741, 120.1551: purifier off
        var lead = (long)(await stack.LeadsOf("R-WEB"))[0]!["id"]!;
        var page = await NewPage(1280, "en-GB", new Geolocation { Latitude = 30.2921f, Longitude = 120.1551f, Accuracy = 30 }); // 2 km north
        await SignIn(page, $"/leads/lead.html?id={lead}", BrowserStack.Inspector, BrowserStack.InspectorPassword);
        await page.ClickAsync("#lang");
        await Expect(page.Locator("#acknowledge")).ToHaveTextAsync("Register");
        await Expect(page.Locator("#caseStatus")).ToHaveTextAsync("open");

        await Step(page, "acknowledge", "acknowledged");
        await Step(page, "dispatch", "dispatched");
        await page.ClickAsync("#checkin");
        await Expect(page.Locator("#fixStatus")).ToContainTextAsync("(±30 m)");
        await page.ClickAsync("#submitStep");
        await Expect(page.Locator("#caseFacts [data-far]")).ToContainTextAsync("far from the monitoring point");
        await Expect(page.Locator("#caseFacts")).ToContainTextAsync(new Regex("\\b200[0-3] m from the monitoring point"));
        await Shot(page, "loop-en-desktop-01-far-check-in");

        await page.ClickAsync("#result");
        await page.SelectOptionAsync("#resultValue", "violation_found");
        await page.FillAsync("#stepNote", "fan on, purifier switched off at the wall");
        await page.ClickAsync("#submitStep");
        await Expect(page.Locator("#caseStatus")).ToHaveAttributeAsync("data-status", "violation_found");
        await Expect(page.Locator("#confirm")).ToBeDisabledAsync(); // not verified yet
        using (var colleague = await stack.SignIn(BrowserStack.Colleague, BrowserStack.ColleaguePassword))
            Assert.True((await colleague.PostAsJsonAsync($"/api/leads/{lead}/case/verify", new { note = "photos seen" })).IsSuccessStatusCode);
        await Expect(page.Locator("#caseFacts")).ToContainTextAsync("photos seen");
        await Expect(page.Locator("#verify")).ToBeDisabledAsync();

        await page.ClickAsync("#confirm");
        await Expect(page.Locator("#fineYuan")).ToHaveCountAsync(0); // not a filed penalty case: no fine
        await page.ClickAsync("#submitStep");
        await Expect(page.Locator("#caseStatus")).ToHaveTextAsync("closed · confirmed");
        await page.ClickAsync("#feedback");
        await page.SelectOptionAsync("#feedbackChannel", "complainant");
        await Expect(page.Locator("#feedbackChannel")).ToContainTextAsync("complainant");
        await page.FillAsync("#feedbackText", "Handled on site; the operator was told to run the purifier.");
        await page.ClickAsync("#submitStep");
        await Expect(page.Locator("#history li")).ToHaveCountAsync(7);
        await Expect(page.Locator("#history li[data-step='checkin']")).ToContainTextAsync("Check in on site");
        await Shot(page, "loop-en-desktop-02-closed");
        await AssertFits(page, 1280);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Without_a_location_the_arrival_is_typed_with_its_reason_in_both_languages_and_sizes()
    {
        await stack.Publish("GW-WEST-1", """{"fume":0.8,"fan":1,"pur":0}"""); // 西湖面馆: no squad owns its grid
        var lead = (long)(await stack.LeadsOf("R-WEST"))[0]!["id"]!;
        var page = await NewPage(PhoneWidth, "zh-CN", null); // geolocation not granted
        await SignIn(page, $"/leads/lead.html?id={lead}", BrowserStack.Inspector, BrowserStack.InspectorPassword);
        await Step(page, "acknowledge", "acknowledged");
        await page.ClickAsync("#dispatch");
        await page.SelectOptionAsync("#dispatchSquad", "SQ-EAST");
        await page.ClickAsync("#submitStep");
        await Expect(page.Locator("#caseStatus")).ToHaveAttributeAsync("data-status", "dispatched");

        await page.ClickAsync("#checkin");
        await Expect(page.Locator("#typedArrival")).ToBeVisibleAsync();
        await Expect(page.Locator("#fixStatus")).ToContainTextAsync("无法获取定位");
        await page.ClickAsync("#submitStep"); // the reason is required
        await Expect(page.Locator("#caseStatus")).ToHaveAttributeAsync("data-status", "dispatched");
        await Expect(page.Locator("#history li")).ToHaveCountAsync(2);
        await page.FillAsync("#arrivalReason", "地下室无定位信号");
        await Shot(page, "loop-zh-360-04-typed-arrival");
        await page.ClickAsync("#submitStep");
        await Expect(page.Locator("#caseFacts")).ToContainTextAsync("手工录入：地下室无定位信号");
        await AssertFits(page, PhoneWidth);
        await AssertInTheBureausWords(page);
        await page.Context.CloseAsync();

        // The same case in English on a desktop, and in Chinese on a desktop.
        foreach (var (width, english) in new[] { (1280, true), (1280, false), (PhoneWidth, true) })
        {
            var view = await NewPage(width, english ? "en-GB" : "zh-CN", null);
            await SignIn(view, $"/leads/lead.html?id={lead}", BrowserStack.Colleague, BrowserStack.ColleaguePassword);
            if (english) await view.ClickAsync("#lang");
            await Expect(view.Locator("#caseFacts")).ToContainTextAsync(english ? "typed by hand: 地下室无定位信号" : "手工录入：地下室无定位信号");
            await Expect(view.Locator("#checkin")).ToHaveTextAsync(english ? "Check in on site" : "到场签到");
            await Expect(view.Locator("#checkin")).ToBeDisabledAsync();
            await Shot(view, $"loop-{(english ? "en" : "zh")}-{width}-05-typed-arrival");
            await AssertFits(view, width);
            await view.Context.CloseAsync();
        }
    }

    private Task<IPage> NewPage(int width, string locale, Geolocation? location) => stack.NewPage(width, output, locale, location);

    private static async Task SignIn(IPage page, string path, string login, string password)
    {
        await PageChecks.SignIn(page, path, login, password);
        await Expect(page.Locator("#caseStatus")).Not.ToBeEmptyAsync();
    }

    private static Task Step(IPage page, string step, string status) => PageChecks.Step(page, step, status);

    private static Task AssertInTheBureausWords(IPage page) => PageChecks.InTheBureausWords(page);

    private static Task AssertFits(IPage page, int width) => PageChecks.Fits(page, width);

    private async Task Shot(IPage page, string name)
    {
        var path = Path.Combine(BrowserStack.Screenshots, $"{name}.png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
    }
}
