using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Iot.Browser.Tests;

/// <summary>What every page test checks the same way: a case step taken on the lead page, the bureau's words, the width.</summary>
internal static class PageChecks
{
    /// <summary>Opens <paramref name="path"/>, is sent to sign in, signs in and is back at <paramref name="path"/>.</summary>
    public static async Task SignIn(IPage page, string path, string login = BrowserStack.Inspector, string password = BrowserStack.InspectorPassword)
    {
        await page.GotoAsync(path);
        await Expect(page).ToHaveURLAsync(new Regex("/login\\.html"));
        await page.FillAsync("#loginName", login);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#signIn");
        await Expect(page).ToHaveURLAsync(new Regex(Regex.Escape(path)));
    }

    /// <summary>Takes a case step that needs nothing typed and waits for the case's new status.</summary>
    public static async Task Step(IPage page, string step, string status)
    {
        await page.ClickAsync($"#{step}");
        await page.ClickAsync("#submitStep");
        await Expect(page.Locator("#caseStatus")).ToHaveAttributeAsync("data-status", status);
    }

    /// <summary>Chinese pages show local times and the bureau's words: no "UTC", no rule, status, channel or step codes. A
    /// refusal the fleet sent (an `.error` box) is left out: the API's problem details are in English (a known gap).</summary>
    public static async Task InTheBureausWords(IPage page)
    {
        var text = await page.EvaluateAsync<string>(
            "() => { const body = document.body.cloneNode(true); body.querySelectorAll('.error').forEach(e => e.remove()); document.documentElement.append(body); const t = body.innerText; body.remove(); return t; }");
        Assert.DoesNotContain("UTC", text);
        var code = Regex.Match(text, @"\b(noise|dust|fume)\.[a-z_]+\b|\b(acknowledged|dispatched|violation_found|hotline_12345|checkin)\b");
        Assert.False(code.Success, $"a code on the page: {code.Value} in …{(code.Success ? text.Substring(Math.Max(0, code.Index - 80), Math.Min(160, text.Length - Math.Max(0, code.Index - 80))) : "")}…");
    }

    /// <summary>Nothing wider than the screen: no sideways scrolling.</summary>
    public static async Task Fits(IPage page, int width) =>
        Assert.True(await page.EvaluateAsync<int>("document.documentElement.scrollWidth") <= width, $"{page.Url} is wider than {width} px");
}
