using System.Net.Http.Json;
using System.Text;
using Iot.Testing;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Iot.Browser.Tests;

/// <summary>The engineers' alerts page: a gateway's tamper alarm arrives, an engineer acknowledges and resolves it on a phone
/// in Chinese; on a desktop in English it reads as resolved.</summary>
public sealed partial class PagesTests
{
    [Fact]
    public async Task An_engineer_acknowledges_and_resolves_a_tamper_alarm_on_a_phone_and_reads_it_on_a_desktop()
    {
        using (var http = stack.Fleet.Http())
        {
            var engineer = await http.PostAsJsonAsync("/api/people", new { login = "zhao.gong", name = "赵工", role = "engineer", password = "Engineer-pass-2026" });
            Assert.True(engineer.IsSuccessStatusCode, await engineer.Content.ReadAsStringAsync());
        }
        // The lid of GW-WEST-1 is opened while 西湖面馆 is closed: its tamper event raises an integrity alert for engineers (in
        // business hours it would also be a suspected-evasion lead for inspectors, Rules/SuspectedEvasion).
        var opened = DateTimeOffset.UtcNow.AddSeconds(-30);
        while (BrowserStack.WestOpen(opened)) opened = opened.AddMinutes(-10);
        await using (var gateway = await TestMqttClient.ConnectAsync(stack.Broker.Host, stack.Broker.Port, "GW-WEST-1"))
            await gateway.PublishAsync("iot/v1/GW-WEST-1/event",
                Encoding.UTF8.GetBytes($$$"""{"v":1,"dev":"GW-WEST-1","t":{{{opened.ToUnixTimeSeconds()}}},"type":"tamper","data":{"switch":"open"}}"""));

        var page = await NewPage();
        await page.GotoAsync("/engineer/alerts/");
        await page.FillAsync("#loginName", "zhao.gong");
        await page.FillAsync("#password", "Engineer-pass-2026");
        await page.ClickAsync("#signIn");
        var alarm = page.Locator("#alerts li", new() { HasText = "防拆报警" });
        await Expect(alarm).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Expect(alarm).ToContainTextAsync("R-WEST");
        await Expect(alarm).ToHaveAttributeAsync("data-state", "open");
        using (var http = stack.Fleet.Http())
            Assert.Empty(await http.GetAllAsync("/api/leads?site=R-WEST&rule=fume.suspected_evasion")); // closed: no lead for inspectors
        await alarm.Locator("button.acknowledge").ClickAsync();
        await alarm.Locator("input[name=note]").FillAsync("已派人到场");
        await alarm.Locator("button[type=submit]").ClickAsync();
        await Expect(alarm).ToHaveAttributeAsync("data-state", "acknowledged");
        await alarm.Locator("button.resolve").ClickAsync();
        await alarm.Locator("button[type=submit]").ClickAsync();
        await Expect(alarm.Locator("input[name=note]")).ToHaveJSPropertyAsync("validity.valueMissing", true); // what was done, or no resolve
        await alarm.Locator("input[name=note]").FillAsync("外壳重新加封");
        await alarm.Locator("button[type=submit]").ClickAsync();
        await Expect(page.Locator("#alerts li", new() { HasText = "防拆报警" })).ToHaveCountAsync(0); // resolved ones are folded away
        await page.CheckAsync("#showResolved");
        await Expect(alarm).ToHaveAttributeAsync("data-state", "resolved");
        await Expect(alarm).ToContainTextAsync("外壳重新加封");
        await AssertInTheBureausWords(page);
        await AssertFitsThePhone(page);
        await Shot(page, "35-alerts-phone");
        await page.Context.CloseAsync();

        var desk = await NewPage(width: 1280);
        await desk.GotoAsync("/engineer/alerts/");
        await desk.FillAsync("#loginName", "zhao.gong");
        await desk.FillAsync("#password", "Engineer-pass-2026");
        await desk.ClickAsync("#signIn");
        await desk.ClickAsync("#lang");
        await desk.CheckAsync("#showResolved");
        var resolved = desk.Locator("#alerts li", new() { HasText = "Tamper alarm" });
        await Expect(resolved).ToContainTextAsync("resolved");
        await Expect(resolved.Locator("button")).ToHaveCountAsync(0);
        await Shot(desk, "36-alerts-desktop-english");
        await desk.Context.CloseAsync();
    }
}
