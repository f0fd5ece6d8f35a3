using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Iot.Browser.Tests;

/// <summary>The complaints page: an inspector records a complaint from the 12345 hotline about a restaurant, reads the
/// complainant's contact, answers it and sees it counted, at phone width in Chinese; then on a desktop in English, and the
/// monthly report counts it by channel.</summary>
public sealed partial class PagesTests
{
    [Fact]
    public async Task An_inspector_records_and_answers_a_complaint_and_sees_it_counted_on_a_phone_and_a_desktop()
    {
        var page = await NewPage();
        await SignIn(page, "/complaints/");
        await Expect(page.Locator("header.bar nav a[href='/complaints/']")).ToHaveClassAsync("active");
        await Expect(page.Locator("header.bar nav a[href='/complaints/']")).ToHaveTextAsync("投诉举报");
        await Expect(page.Locator("#counts dd[data-count=received]")).ToHaveTextAsync("0");
        await Expect(page.Locator("#answerDays")).ToContainTextAsync("7 个自然日");

        // Recorded without a place, it is refused in the fleet's words; with the restaurant it is in the list.
        await page.ClickAsync("#record summary");
        await page.SelectOptionAsync("#channel", "hotline_12345");
        await Expect(page.Locator("#channel option:checked")).ToHaveTextAsync("12345 热线");
        await page.SelectOptionAsync("#kind", "fume");
        await page.FillAsync("#text", "每天晚上六点后油烟很大，楼上住户无法开窗");
        await page.FillAsync("#contact", "张女士 139 1234 5678");
        await page.FillAsync("#reference", "12345-2026-000888");
        await page.ClickAsync("#submitRecord");
        await Expect(page.Locator("#recordError")).ToContainTextAsync("address");
        await page.SelectOptionAsync("#site", "R-WEB");
        await Shot(page, "40-complaint-record");
        await page.ClickAsync("#submitRecord");
        var item = page.Locator("#complaints li[data-complaint]");
        await Expect(item).ToHaveCountAsync(1);
        await Expect(item).ToHaveAttributeAsync("data-state", "unanswered");
        await Expect(item).ToContainTextAsync("12345 热线 · 餐饮油烟");
        await Expect(item).ToContainTextAsync("老王饭店 (R-WEB)");
        await Expect(item).ToContainTextAsync("答复时限");
        await Expect(item).Not.ToContainTextAsync("139 1234 5678"); // the list has no contact
        await Expect(page.Locator("#counts dd[data-count=received]")).ToHaveTextAsync("1");
        await Expect(page.Locator("#counts dd[data-count=answered]")).ToHaveTextAsync("0");
        await item.Locator("button.contact").ClickAsync();
        await Expect(item.Locator(".contact-text")).ToHaveTextAsync("张女士 139 1234 5678");

        // The answer, by phone: on time, counted.
        await item.Locator("button.answer").ClickAsync();
        await item.Locator("select[name=channel]").SelectOptionAsync("phone");
        await item.Locator("textarea[name=text]").FillAsync("已派员到场核查，责令经营者当日清洗净化设施");
        await Shot(page, "41-complaint-answer");
        await item.Locator("button[type=submit]").ClickAsync();
        await Expect(item).ToHaveAttributeAsync("data-state", "answered");
        await Expect(item).ToContainTextAsync("电话答复");
        await Expect(item).ToContainTextAsync("李伟");
        await Expect(page.Locator("#counts dd[data-count=answered]")).ToHaveTextAsync("1");
        await Expect(page.Locator("#counts dd[data-count=onTime]")).ToHaveTextAsync("1");
        await Expect(page.Locator("#counts dd[data-count=answerRate]")).ToHaveTextAsync("100%");
        await Expect(item.Locator("button.answer")).ToHaveCountAsync(0);
        await page.SelectOptionAsync("#answered", "false");
        await Expect(page.Locator("#complaints #empty")).ToBeVisibleAsync();
        await page.SelectOptionAsync("#answered", "");
        await Expect(item).ToHaveCountAsync(1);
        await AssertInTheBureausWords(page);
        await AssertFitsThePhone(page);
        await Shot(page, "42-complaint-answered");

        // The phone in English: the same complaint in the glossary's English words, still no wider than the screen.
        await page.ClickAsync("#lang");
        await Expect(item).ToContainTextAsync("12345 hotline · restaurant fume");
        await Expect(item.Locator(".pill")).ToHaveTextAsync("answered");
        await Expect(page.Locator("header.bar nav a[href='/complaints/']")).ToHaveTextAsync("Complaints");
        await AssertFitsThePhone(page);
        await Shot(page, "42b-complaint-answered-english");
        await page.ClickAsync("#lang");

        // The monthly report on the phone counts it by channel, and offers the register.
        await page.GotoAsync("/report/");
        await Expect(page.Locator("#complaintChannels tr[data-key=hotline_12345] td").Nth(1)).ToHaveTextAsync("1");
        await Expect(page.Locator("#complaintChannels tr[data-key=hotline_12345] td").Nth(4)).ToHaveTextAsync("100%");
        await Expect(page.Locator("#complaintKinds tr[data-key=fume] td").Nth(0)).ToHaveTextAsync("餐饮油烟");
        await Expect(page.Locator("#figures tr[data-figure=complaints] td").Nth(1)).ToHaveTextAsync("1");
        await Expect(page.Locator("#registers li[data-register=complaints]")).ToContainTextAsync("投诉举报台账");
        await AssertInTheBureausWords(page);
        await AssertFitsThePhone(page);
        await Shot(page, "43-report-complaints");
        await page.Context.CloseAsync();

        // A colleague records one whose text is markup (a complaint is what anybody wrote): it shows as text.
        using (var colleague = await stack.SignIn(BrowserStack.Colleague, BrowserStack.ColleaguePassword))
            Assert.Equal(System.Net.HttpStatusCode.Created, (await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(colleague, "/api/complaints",
                new { receivedAt = DateTimeOffset.UtcNow.AddMinutes(-5), channel = "walk_in", kind = "noise", address = "<b>文三路</b>",
                    text = "<img src=x onerror=\"document.title='pwned'\">夜里有人施工" })).StatusCode);

        // A desktop, in English.
        var desk = await NewPage(width: 1280);
        await SignIn(desk, "/complaints/");
        await desk.ClickAsync("#lang");
        var hostile = desk.Locator("#complaints li[data-state=unanswered]");
        await Expect(hostile).ToContainTextAsync("<img src=x onerror=\"document.title='pwned'\">夜里有人施工");
        await Expect(hostile).ToContainTextAsync("<b>文三路</b>");
        await Expect(desk.Locator("#complaints img")).ToHaveCountAsync(0);
        Assert.NotEqual("pwned", await desk.TitleAsync());
        await Expect(desk.Locator("#counts dd[data-count=received]")).ToHaveTextAsync("2");
        await Expect(desk.Locator("#counts dd[data-count=answerRate]")).ToHaveTextAsync("50.0%");
        var answered = desk.Locator("#complaints li[data-state=answered]");
        await Expect(answered).ToContainTextAsync("12345 hotline · restaurant fume");
        await Expect(answered.Locator(".pill")).ToHaveTextAsync("answered");
        await Expect(answered).ToContainTextAsync("by phone");
        await Expect(desk.Locator("#counts dt[data-t=onTimeRate]")).ToHaveTextAsync("On-time rate");
        await Expect(desk.Locator("#counts dd[data-count=onTimeRate]")).ToHaveTextAsync("50.0%");
        await Expect(desk.Locator("#answerDays")).ToContainTextAsync("within 7 calendar days");
        await Shot(desk, "44-complaints-desktop-english");
        await desk.GotoAsync("/report/");
        await Expect(desk.Locator("#complaintChannels tr[data-key=hotline_12345] td").Nth(0)).ToHaveTextAsync("12345 hotline");
        await Expect(desk.Locator("#figures tr[data-figure=complaintAnswerRate] td").Nth(0)).ToHaveTextAsync("Complaint answer rate");
        await desk.Context.CloseAsync();
    }
}
