using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Iot.Testing;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Iot.Browser.Tests;

/// <summary>A restaurant's gateway opened in business hours reaches the inspectors as a suspected evasion (Rules/SuspectedEvasion):
/// its lead page says what it rests on in the bureau's words, in Chinese at 360 px and in English on a desktop.</summary>
public sealed class EvasionLeadPageTests(BrowserStack stack, ITestOutputHelper output) : IClassFixture<BrowserStack>
{
    private const int PhoneWidth = BrowserStack.PhoneWidth;

    [Fact]
    public async Task An_inspector_reads_a_suspected_evasion_by_an_opened_gateway_on_a_phone_and_a_desktop()
    {
        // 老王饭店 records no business hours: it is watched all day. Its gateway's lid is opened.
        await using (var gateway = await TestMqttClient.ConnectAsync(stack.Broker.Host, stack.Broker.Port, "GW-WEB-1"))
            await gateway.PublishAsync("iot/v1/GW-WEB-1/event",
                Encoding.UTF8.GetBytes($$$"""{"v":1,"dev":"GW-WEB-1","t":{{{DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60}}},"type":"tamper","data":{"switch":"open"}}"""));
        var lead = await Lead();

        var page = await NewPage(PhoneWidth);
        await SignIn(page, $"/leads/lead.html?id={lead}");
        await Expect(page.Locator("#title")).ToContainTextAsync("营业时间监控设备离线或被拆（疑似逃避监管）");
        await Expect(page.Locator("[data-evasion=tamper]")).ToHaveTextAsync("营业时间内设备外壳被打开（防拆开关触发）");
        await Expect(page.Locator("#facts")).Not.ToContainTextAsync("最高值 / 限值"); // an opened lid is no measure against a limit
        await Expect(page.Locator("#caseStatus")).ToHaveTextAsync("待立案");
        await PageChecks.InTheBureausWords(page);
        await PageChecks.Fits(page, PhoneWidth);
        await Shot(page, "evasion-zh-360-lead");
        await page.Context.CloseAsync();

        var desk = await NewPage(1280);
        await SignIn(desk, $"/leads/lead.html?id={lead}");
        await desk.ClickAsync("#lang");
        await Expect(desk.Locator("[data-evasion=tamper]")).ToHaveTextAsync("the gateway's enclosure was opened in business hours (tamper switch)");
        await Expect(desk.Locator("#title")).ToContainTextAsync("Gateway silent or opened in business hours (suspected evasion)");
        await PageChecks.Fits(desk, 1280);
        await Shot(desk, "evasion-en-desktop-lead");
        await desk.Context.CloseAsync();
    }

    private async Task<long> Lead()
    {
        using var http = stack.Fleet.Http();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var leads = await http.GetAllAsync("/api/leads?site=R-WEB&rule=fume.suspected_evasion");
            if (leads.Count > 0) return (long)leads[0]!["id"]!;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no suspected evasion at R-WEB after 30 s\nfleet output:\n{stack.Fleet.RecentOutput}");
            await Task.Delay(200);
        }
    }

    private async Task Shot(IPage page, string name)
    {
        var path = Path.Combine(BrowserStack.Screenshots, $"{name}.png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
    }

    private Task<IPage> NewPage(int width) => stack.NewPage(width, output);

    private static Task SignIn(IPage page, string path) => PageChecks.SignIn(page, path);
}
