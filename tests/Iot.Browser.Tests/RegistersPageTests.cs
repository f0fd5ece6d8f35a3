using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Iot.Browser.Tests;

/// <summary>The registers on the sites page: an inspector registers a liable party, edits a site's register entry and moves
/// it, and reads its history, at phone width in Chinese and on a desktop in English.</summary>
public sealed partial class PagesTests
{
    [Fact]
    public async Task An_inspector_registers_a_party_edits_and_moves_a_site_and_reads_its_history_on_a_phone_and_a_desktop()
    {
        var page = await NewPage();
        await SignIn(page, "/sites/");
        var west = page.Locator("#sites section[data-site='R-WEST']");
        await Expect(west).ToContainTextAsync("责任主体");

        // A mistyped code is refused with the fleet's words; the right one is registered.
        await page.ClickAsync("#parties summary");
        await page.FillAsync("#addParty input[name=code]", "91350100M000100Y40");
        await page.FillAsync("#addParty input[name=name]", "杭州西湖面馆餐饮有限公司");
        await page.ClickAsync("#addParty button[type=submit]");
        await Expect(page.Locator("#addParty .error")).ToContainTextAsync("check character");
        await page.FillAsync("#addParty input[name=code]", "91350100M000100Y43");
        await page.ClickAsync("#addParty button[type=submit]");
        await Expect(page.Locator("#parties li[data-party='91350100M000100Y43']")).ToContainTextAsync("杭州西湖面馆餐饮有限公司");

        await west.Locator("button.edit").ClickAsync();
        await west.Locator("input[name=address]").FillAsync("西湖区文三路 1 号");
        await west.Locator("select[name=party]").SelectOptionAsync("91350100M000100Y43");
        await west.Locator("input[name=cookingHeads]").FillAsync("2");
        await west.Locator("button[type=submit]").ClickAsync();
        await Expect(west.Locator("input[name=reason]")).ToHaveJSPropertyAsync("validity.valueMissing", true); // no reason, no edit
        await west.Locator("input[name=reason]").FillAsync("补录台账");
        await west.Locator("button[type=submit]").ClickAsync();
        await Expect(west.Locator(".saved")).ToContainTextAsync("第 1 版");
        await Expect(west).ToContainTextAsync("西湖区文三路 1 号");
        await Expect(west).ToContainTextAsync("杭州西湖面馆餐饮有限公司 · 91350100M000100Y43");
        await Expect(west.Locator("dt[data-t=cookingHeads] + dd")).ToHaveTextAsync("2");
        await AssertFitsThePhone(page);
        await Shot(page, "30-register-edited");

        await west.Locator("button.edit").ClickAsync();
        await Expect(west.Locator("input[name=lat]")).ToHaveValueAsync("30.2602");
        await west.Locator("input[name=lat]").FillAsync("30.2607");
        await west.Locator("input[name=reason]").FillAsync("大门东移 50 米");
        await west.Locator("button[type=submit]").ClickAsync();
        await Expect(west.Locator(".saved")).ToContainTextAsync("第 2 版");
        await west.Locator("button.history").ClickAsync();
        await Expect(west.Locator("ol.history > li")).ToHaveCountAsync(2);
        await Expect(west.Locator("ol.history > li[data-change=moved]")).ToContainTextAsync("大门东移 50 米");
        await Expect(west.Locator("ol.history > li[data-change=edited] li[data-field=address]")).ToContainTextAsync("地址: – → 西湖区文三路 1 号");
        await AssertInTheBureausWords(page);
        await AssertFitsThePhone(page);
        await Shot(page, "31-register-history");
        await page.Context.CloseAsync();

        // The same page on a desktop, in English.
        var desk = await NewPage(width: 1280);
        await SignIn(desk, "/sites/");
        await desk.ClickAsync("#lang");
        var site = desk.Locator("#sites section[data-site='R-WEST']");
        await Expect(site).ToContainTextAsync("Liable party");
        await site.Locator("button.history").ClickAsync();
        await Expect(site.Locator("ol.history > li[data-change=moved]")).ToContainTextAsync("moved");
        await Expect(site.Locator("ol.history > li[data-change=edited] li[data-field=cookingHeads]")).ToContainTextAsync("Cooking heads: – → 2");
        await Shot(desk, "32-register-desktop-english");
        await desk.Context.CloseAsync();
    }

    [Fact]
    public async Task The_report_compares_months_and_downloads_itself_and_the_registers_on_a_phone_and_a_desktop()
    {
        var page = await NewPage();
        await SignIn(page, "/report/");
        await Expect(page.Locator("#figures tr[data-figure=leads] td").Nth(0)).ToHaveTextAsync("执法线索");
        await Expect(page.Locator("#responseTimes svg")).ToContainTextAsync("未到场");
        await Expect(page.Locator("#permits")).ToContainTextAsync("申报");
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#xlsx"));
        Assert.Matches(@"^monthly-report-\d{4}-\d{2}\.xlsx$", download.SuggestedFilename);
        var bytes = await File.ReadAllBytesAsync(await download.PathAsync());
        Assert.Equal("PK"u8.ToArray(), bytes[..2]);
        var csv = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#registers li[data-register=sites] a[href$='.csv']"));
        var text = System.Text.Encoding.UTF8.GetString(await File.ReadAllBytesAsync(await csv.PathAsync()));
        Assert.StartsWith("\uFEFF点位编号,", text);
        Assert.Contains("R-WEB,老王饭店", text);
        await AssertInTheBureausWords(page);
        await AssertFitsThePhone(page);
        await Shot(page, "33-report-figures");
        await page.Context.CloseAsync();

        var desk = await NewPage(width: 1280);
        await SignIn(desk, "/report/");
        await desk.ClickAsync("#lang");
        await Expect(desk.Locator("#figures tr[data-figure=wrongLeadRate] td").Nth(0)).ToHaveTextAsync("Wrong-lead rate");
        await Expect(desk.Locator("#registers li[data-register=parties]")).ToContainTextAsync("Liable parties");
        await Shot(desk, "34-report-desktop-english");
        await desk.Context.CloseAsync();
    }
}
