using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Iot.Browser.Tests;

/// <summary>Script that reaches the fleet does not run in chromium: a page refuses inline handlers (its content security
/// policy), an SVG "photo" with script is refused on upload, and one an older fleet stored is only ever downloaded.</summary>
public sealed class HostileContentTests(BrowserStack stack, ITestOutputHelper output) : IClassFixture<BrowserStack>
{
    private const string ScriptSvg = """<svg xmlns="http://www.w3.org/2000/svg" onload="alert('svg onload')"><script>alert('svg script')</script></svg>""";

    [Fact]
    public async Task A_page_carries_the_headers_and_chromium_refuses_injected_inline_script()
    {
        var (page, dialogs) = await NewPage();

        var response = await page.GotoAsync("/login.html");

        var headers = await response!.AllHeadersAsync();
        Assert.Contains("script-src 'self'", headers["content-security-policy"]);
        Assert.Contains("frame-ancestors 'none'", headers["content-security-policy"]);
        Assert.Equal("nosniff", headers["x-content-type-options"]);
        Assert.Equal("DENY", headers["x-frame-options"]);
        Assert.Equal("no-referrer", headers["referrer-policy"]);

        // The page still works under the policy: its own scripts fill in the sign-in form and sign in.
        await Expect(page.Locator("#signIn")).ToHaveTextAsync("登录");
        await page.FillAsync("#loginName", BrowserStack.Inspector);
        await page.FillAsync("#password", BrowserStack.InspectorPassword);
        await page.ClickAsync("#signIn");
        await Expect(page).ToHaveURLAsync(new Regex("/leads/"));
        await Expect(page.Locator("#who")).ToHaveTextAsync("李伟");

        // Markup smuggled into the page (as a site name would be, were a page to insert it as HTML) cannot run.
        await page.EvaluateAsync("""
            () => {
              window.violations = [];
              document.addEventListener('securitypolicyviolation', e => window.violations.push(e.effectiveDirective));
              document.body.insertAdjacentHTML('beforeend', '<img src="/no-such.png" onerror="window.ran = 1; alert(1)"><svg><script>window.ran = 2</script></svg>');
              const s = document.createElement('script'); s.textContent = 'window.ran = 3'; document.body.append(s);
            }
            """);
        await page.WaitForFunctionAsync("() => window.violations.length >= 2");
        var violations = await page.EvaluateAsync<string[]>("() => window.violations");
        output.WriteLine($"violations: {string.Join(", ", violations)}");
        Assert.Contains(violations, v => v.StartsWith("script-src", StringComparison.Ordinal));
        Assert.Null(await page.EvaluateAsync<int?>("() => window.ran ?? null"));
        Assert.Empty(dialogs);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_photo_carrying_script_is_refused_on_upload_and_one_stored_before_is_only_a_download()
    {
        var (page, dialogs) = await NewPage();
        await SignIn(page, "admin", BrowserStack.AdminPassword);

        // Uploaded from the browser as the installer's page does, claiming to be a JPEG: refused, and why.
        var upload = await page.EvaluateAsync<JsonElement>("""
            async svg => {
              const r = await fetch('/api/devices/GW-WEB-1/commissioning', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify({ note: 'hostile', photo: 'data:image/jpeg;base64,' + btoa(svg) }) });
              return { status: r.status, body: await r.text() };
            }
            """, ScriptSvg);
        Assert.Equal(400, upload.GetProperty("status").GetInt32());
        Assert.Contains("JPEG or PNG", upload.GetProperty("body").GetString());

        // Stored by a fleet from before re-encoding, as image/svg+xml: opening it downloads it, nothing runs.
        var id = PlantLegacyPhoto("R-WEB", Encoding.UTF8.GetBytes(ScriptSvg), "image/svg+xml");
        var download = await page.RunAndWaitForDownloadAsync(() => page.EvaluateAsync("url => { location.href = url; }", $"/api/commissioning/{id}/photo"));
        Assert.Equal($"commissioning-{id}-photo.bin", download.SuggestedFilename);
        await page.WaitForTimeoutAsync(500);
        Assert.Empty(dialogs);
        await page.Context.CloseAsync();
    }

    private async Task<(IPage Page, List<string> Dialogs)> NewPage()
    {
        var context = await stack.Browser.NewContextAsync(new() { BaseURL = stack.Fleet.Url.ToString(), Locale = "zh-CN", AcceptDownloads = true });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        var dialogs = new List<string>();
        page.Dialog += async (_, d) => { dialogs.Add(d.Message); await d.DismissAsync(); };
        page.Console += (_, m) => output.WriteLine($"console {m.Type}: {m.Text}");
        return (page, dialogs);
    }

    private static async Task SignIn(IPage page, string login, string password)
    {
        await page.GotoAsync("/login.html");
        await page.FillAsync("#loginName", login);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#signIn");
        await Expect(page).ToHaveURLAsync(new Regex("/leads/"));
    }

    /// <summary>A commissioning record with a photo as an older fleet would have stored it, written into the fleet's database.</summary>
    private long PlantLegacyPhoto(string site, byte[] photo, string type)
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(stack.Fleet.StateDirectory, "fleet.db")};Pooling=False");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = """
            INSERT INTO commissioning (site, passed, method, results, signed_by, signed_at, valid_from, note, photo, photo_type)
            VALUES ($site, 1, 'admin-record', '[]', 'older-fleet', 0, 0, 'stored before photos were checked', $photo, $type) RETURNING id
            """;
        command.Parameters.AddWithValue("$site", site);
        command.Parameters.AddWithValue("$photo", photo);
        command.Parameters.AddWithValue("$type", type);
        return (long)command.ExecuteScalar()!;
    }
}
