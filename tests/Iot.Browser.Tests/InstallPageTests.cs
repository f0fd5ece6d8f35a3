using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Iot.Contract.Identity;
using Iot.Provisioning;
using Iot.Provisioning.Labels;
using Iot.Testing;
using Microsoft.Playwright;
using QRCoder;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Iot.Browser.Tests;

/// <summary>The installer's page on a phone without the browser's own QR reader (iOS Safari, WeChat): a photo of the
/// printed label is read by the vendored jsQR and fills in the claim code.</summary>
public sealed partial class PagesTests
{
    [Fact]
    public async Task Without_BarcodeDetector_a_photo_of_the_printed_label_fills_in_the_claim_code_in_both_languages()
    {
        const string id = "NS-PHOTO01";
        var code = await FactoryGateway(id);
        const string login = "wu.gong";
        await NewInstaller(login);

        // The label as iot-prov prints it (LabelSheet, QRCoder's code), photographed: a screenshot of it in the browser.
        var label = new ClaimPayload(id, code, stack.Fleet.Url);
        var photo = await PhotoOf(LabelSheet.Render([label], "labels"), ".label");
        // A restaurant's menu link: a QR code, but no gateway's label.
        using var menu = new QRCodeGenerator().CreateQrCode("https://example.com/menu?table=4", QRCodeGenerator.ECCLevel.M);
        var notALabel = new PngByteQRCode(menu).GetGraphic(8);

        var page = await NewPage();
        // As on iOS and in WeChat; headless chromium on Linux has none either, but the page must not rely on that.
        await page.AddInitScriptAsync("delete window.BarcodeDetector; delete Window.prototype.BarcodeDetector;");
        await SignInAs(page, "/install/", login);
        Assert.False(await page.EvaluateAsync<bool>("'BarcodeDetector' in window"));
        await Expect(page.Locator("#code")).ToHaveValueAsync("");

        // A photo with no QR code in it says so, in the bureau's words.
        await page.SetInputFilesAsync("#labelPhoto", new FilePayload { Name = "blank.png", MimeType = "image/png", Buffer = Convert.FromBase64String(BlankPng) });
        await Expect(page.Locator("#claimError")).ToContainTextAsync("照片中未找到二维码");

        await page.SetInputFilesAsync("#labelPhoto", new FilePayload { Name = "label.png", MimeType = "image/png", Buffer = photo });
        await Expect(page.Locator("#code")).ToHaveValueAsync(code);
        await Expect(page.Locator("#fromLabel")).ToHaveTextAsync($"来自网关 {id} 的标签");
        await Expect(page.Locator("#claimError")).ToBeEmptyAsync();
        await Shot(page, "16-install-label-photo");
        await AssertFitsThePhone(page);

        // English, and a QR code that is not a gateway's label (the older iotclaim: text reads too; this one is neither).
        await page.ClickAsync("#lang");
        await Expect(page.Locator("label[for='labelPhoto']")).ToHaveTextAsync("Or take a photo of the label");
        await page.SetInputFilesAsync("#labelPhoto", new FilePayload { Name = "other.png", MimeType = "image/png", Buffer = notALabel });
        await Expect(page.Locator("#claimError")).ToHaveTextAsync("That QR code is not a gateway label.");
        await Expect(page.Locator("#code")).ToHaveValueAsync(code);
        await page.ClickAsync("#lang");
        await page.Context.CloseAsync();

        // On a desktop (an installer at the office with the photo on a laptop), in both languages.
        const int desktop = 1280;
        var desk = await NewPage(desktop);
        await SignInAs(desk, "/install/", login);
        await desk.SetInputFilesAsync("#labelPhoto", new FilePayload { Name = "label.png", MimeType = "image/png", Buffer = photo });
        await Expect(desk.Locator("#code")).ToHaveValueAsync(code);
        await Expect(desk.Locator("label[for='labelPhoto']")).ToHaveTextAsync("或拍摄标签照片");
        await PageChecks.Fits(desk, desktop);
        await desk.ClickAsync("#lang");
        await Expect(desk.Locator("#fromLabel")).ToHaveTextAsync($"from the label of gateway {id}");
        await desk.ClickAsync("#lang");
        await desk.Context.CloseAsync();
    }

    [Fact]
    public async Task Without_BarcodeDetector_the_camera_reads_the_label_frame_by_frame()
    {
        const string id = "NS-CAMERA1";
        var code = await FactoryGateway(id);
        const string login = "zhou.gong";
        await NewInstaller(login);
        // The phone's camera looking at the label: chromium's fake camera plays a video of its QR code.
        var video = Path.Combine(BrowserStack.Screenshots, $"{id}-label.y4m");
        await File.WriteAllBytesAsync(video, VideoOf(new ClaimPayload(id, code, stack.Fleet.Url).ToString()));
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = BrowserStack.Chromium, Headless = true,
            Args = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", $"--use-file-for-fake-video-capture={video}"],
        });
        var context = await browser.NewContextAsync(new()
        {
            BaseURL = stack.Fleet.Url.ToString(), ViewportSize = new() { Width = PhoneWidth, Height = 780 }, Locale = "zh-CN", IsMobile = true, HasTouch = true,
            Permissions = ["camera"],
        });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        page.PageError += (_, e) => output.WriteLine($"page error: {e}");
        await page.AddInitScriptAsync("delete window.BarcodeDetector; delete Window.prototype.BarcodeDetector;");
        await SignInAs(page, "/install/", login);

        await page.ClickAsync("#scan");
        await Expect(page.Locator("#code")).ToHaveValueAsync(code);
        await Expect(page.Locator("#fromLabel")).ToHaveTextAsync($"来自网关 {id} 的标签");
        await Expect(page.Locator("#camera")).ToBeHiddenAsync(); // the camera is let go once the label is read
        Assert.False(await page.EvaluateAsync<bool>("'BarcodeDetector' in window"));
        await context.CloseAsync();
    }

    /// <summary>A Y4M video (what chromium's fake camera plays) of the QR code of <paramref name="text"/>, black on white.</summary>
    private static byte[] VideoOf(string text)
    {
        const int width = 640, height = 480;
        using var qr = new QRCodeGenerator().CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        var modules = qr.ModuleMatrix; // with its quiet zone
        var scale = 420 / modules.Count;
        var (left, top) = ((width - modules.Count * scale) / 2, (height - modules.Count * scale) / 2);
        var luma = new byte[width * height];
        Array.Fill(luma, (byte)235);
        for (var y = 0; y < modules.Count * scale; y++)
            for (var x = 0; x < modules.Count * scale; x++)
                if (modules[y / scale][x / scale]) luma[(top + y) * width + left + x] = 16;
        var chroma = Enumerable.Repeat((byte)128, width * height / 2).ToArray(); // U and V at a quarter size each: grey
        using var file = new MemoryStream();
        file.Write(System.Text.Encoding.ASCII.GetBytes($"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n"));
        for (var frame = 0; frame < 5; frame++)
        {
            file.Write("FRAME\n"u8);
            file.Write(luma);
            file.Write(chroma);
        }
        return file.ToArray();
    }

    [Fact]
    public async Task A_claim_made_without_signal_waits_on_the_phone_and_reaches_the_fleet_once_when_the_signal_returns()
    {
        const string id = "NS-CELLAR1";
        var code = await FactoryGateway(id);
        const string login = "sun.gong";
        await NewInstaller(login);
        var page = await NewPage();
        // Every claim the fleet answered, as the browser saw it.
        var answered = new List<int>();
        page.Response += (_, r) => { if (r.Request.Method == "POST" && r.Url.EndsWith("/api/claims", StringComparison.Ordinal)) answered.Add(r.Status); };
        await SignInAs(page, $"/install/?d={id}&c={code}", login); // the label's link
        await Expect(page.Locator("#code")).ToHaveValueAsync(code);
        await page.CheckAsync("#newSite");
        await page.FillAsync("#siteId", "R-CELLAR");
        await page.FillAsync("#siteName", "地下美食城");
        await page.FillAsync("#lat", "30.2710");
        await page.FillAsync("#lon", "120.1520");
        await page.FillAsync("#hours", "10:00-22:00");

        // In the basement: no signal. The claim waits on the phone, shown with what it is.
        await page.Context.SetOfflineAsync(true);
        await page.ClickAsync("#claimButton");
        await Expect(page.Locator("#outbox")).ToBeVisibleAsync();
        await Expect(page.Locator("#outboxTitle")).ToHaveTextAsync("等待发送（1）");
        await Expect(page.Locator("#outboxList li")).ToHaveCountAsync(1);
        await Expect(page.Locator("#outboxList li")).ToContainTextAsync($"认领网关（认领码 {code}）");
        await Expect(page.Locator("#claimButton")).ToBeDisabledAsync();
        Assert.Equal(1, await page.EvaluateAsync<int>("Outbox.waiting().then(w => w.length)")); // in IndexedDB, not in the page's memory
        await Shot(page, "17-install-offline-queue");
        await AssertFitsThePhone(page);
        await page.ClickAsync("#lang");
        await Expect(page.Locator("#outboxTitle")).ToHaveTextAsync("Waiting to send (1)");
        await Expect(page.Locator("#outboxList li")).ToContainTextAsync($"Claim of the gateway with code {code}");
        await page.ClickAsync("#lang");
        using (var http = stack.Fleet.Http())
            Assert.Null((await http.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>($"/api/factory/devices/{id}"))!["claimedAt"]);
        Assert.Empty(answered);

        // Back in signal: sent by itself, and the page goes on to the checklist.
        await page.Context.SetOfflineAsync(false);
        await Expect(page.Locator("#deviceId")).ToHaveTextAsync(id, new() { Timeout = 40_000 });
        await Expect(page.Locator("#outbox")).ToBeHiddenAsync();
        Assert.Equal(0, await page.EvaluateAsync<int>("Outbox.waiting().then(w => w.length)"));
        Assert.Equal([201], answered);
        using (var http = stack.Fleet.Http())
        {
            var gateway = (await http.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>($"/api/factory/devices/{id}"))!;
            Assert.Equal(login, (string?)gateway["claimedBy"]);
            Assert.Equal("R-CELLAR", (string?)gateway["site"]);
            var claims = (await http.GetAllAsync($"/api/audit?subject=device:{id}")).Where(e => (string)e!["action"]! == "device.claim").ToList();
            Assert.Single(claims);
        }
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Opened_once_with_signal_the_page_opens_again_without_any_and_a_claim_made_there_reaches_the_fleet_once()
    {
        const string id = "NS-NOSIGNL";
        var code = await FactoryGateway(id);
        const string login = "qian.gong";
        await NewInstaller(login);
        var page = await NewPage();
        await SignInAs(page, "/install/", login);
        // Its service worker keeps the page's files on the phone once it is active and controls the page.
        await page.WaitForFunctionAsync("navigator.serviceWorker.controller !== null");
        Assert.Equal("/install/", await page.EvaluateAsync<string>("navigator.serviceWorker.ready.then(r => new URL(r.scope).pathname)"));

        // In the basement, the label's link opened with no network at all: the page comes from the phone's copy.
        await page.Context.SetOfflineAsync(true);
        var opened = await page.GotoAsync($"/install/?d={id}&c={code}");
        Assert.True(opened!.FromServiceWorker);
        await Expect(page.Locator("#claim")).ToBeVisibleAsync();
        await Expect(page.Locator("#offline")).ToContainTextAsync("暂无信号");
        await Expect(page.Locator("#code")).ToHaveValueAsync(code);
        await Expect(page.Locator("#fromLabel")).ToHaveTextAsync($"来自网关 {id} 的标签");
        Assert.True(await page.EvaluateAsync<bool>("typeof jsQR === 'function'")); // the label photo reader is there too

        // How to give the gateway Wi-Fi without a cable, in both languages.
        await page.ClickAsync("#wifi summary");
        await Expect(page.Locator("#wifi summary")).ToHaveTextAsync("给网关接入 Wi-Fi（无需数据线）");
        await Expect(page.Locator("#wifi li")).ToHaveCountAsync(4);
        await Expect(page.Locator("#wifi li").Nth(0)).ToContainTextAsync("按住盖内按钮 5 秒");
        await Expect(page.Locator("#wifi li").Nth(1)).ToContainTextAsync("Wi-Fi 二维码");
        await Shot(page, "18-install-offline-wifi-step");
        await AssertFitsThePhone(page);
        await page.ClickAsync("#lang");
        await Expect(page.Locator("#wifi li").Nth(1)).ToContainTextAsync("Scan the small Wi-Fi QR code on the label");
        await Expect(page.Locator("#offline")).ToContainTextAsync("No signal");
        await page.ClickAsync("#lang");

        await page.CheckAsync("#newSite");
        await page.FillAsync("#siteId", "R-NOSIGNAL");
        await page.FillAsync("#siteName", "地下二层小吃");
        await page.FillAsync("#lat", "30.2720");
        await page.FillAsync("#lon", "120.1530");
        await page.FillAsync("#hours", "10:00-22:00");
        await page.ClickAsync("#claimButton");
        await Expect(page.Locator("#outboxTitle")).ToHaveTextAsync("等待发送（1）");
        Assert.Equal(1, await page.EvaluateAsync<int>("Outbox.waiting().then(w => w.length)"));

        // Back in signal: sent by itself, once.
        await page.Context.SetOfflineAsync(false);
        await Expect(page.Locator("#deviceId")).ToHaveTextAsync(id, new() { Timeout = 40_000 });
        await Expect(page.Locator("#outbox")).ToBeHiddenAsync();
        using (var http = stack.Fleet.Http())
        {
            Assert.Equal(login, (string?)(await http.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>($"/api/factory/devices/{id}"))!["claimedBy"]);
            var claims = (await http.GetAllAsync($"/api/audit?subject=device:{id}")).Where(e => (string)e!["action"]! == "device.claim").ToList();
            Assert.Single(claims);
        }

        // What the phone kept: the page's own files, no answer of the API and no address with the claim code in it.
        var kept = await page.EvaluateAsync<string[]>(
            "caches.keys().then(names => Promise.all(names.map(n => caches.open(n).then(c => c.keys())))).then(all => all.flat().map(r => r.url))");
        Assert.Contains(kept, url => new Uri(url).AbsolutePath == "/install/");
        Assert.Contains(kept, url => new Uri(url).AbsolutePath == "/assets/vendor/jsqr/jsQR.js");
        Assert.All(kept, url =>
        {
            Assert.DoesNotContain("/api/", url);
            Assert.Equal("", new Uri(url).Query);
        });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_service_worker_is_served_as_javascript_under_the_pages_policy()
    {
        using var http = stack.Fleet.Http();
        var response = await http.GetAsync("/install/sw.js");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("script-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single());
        // At /install/ it may control /install/ without a Service-Worker-Allowed header.
        Assert.False(response.Headers.Contains("Service-Worker-Allowed"));
    }

    [Fact]
    public async Task The_labels_wifi_qr_decodes_to_the_hotspot_and_the_page_says_to_scan_it_with_the_camera()
    {
        const string id = "NS-WIFIQR1";
        var code = await FactoryGateway(id);
        const string login = "feng.gong";
        await NewInstaller(login);
        // The label as iot-prov prints it, with the hotspot of a factory list that gave it a password.
        var hotspot = WifiJoinPayload.ForGateway(id, HotspotPassword.Generate());
        var sheet = LabelSheet.Render([new GatewayLabel(new ClaimPayload(id, code, stack.Fleet.Url), hotspot)], "labels");
        var wifiPhoto = await PhotoOf(sheet, ".wifi svg");
        var labelPhoto = await PhotoOf(sheet, ".label");

        var page = await NewPage();
        await page.AddInitScriptAsync("delete window.BarcodeDetector; delete Window.prototype.BarcodeDetector;");
        await SignInAs(page, "/install/", login);
        // jsQR, as the page vendors it, reads the printed Wi-Fi code as the join text phone cameras act on.
        // What jsQR alone (one code per picture) reads in a photo.
        Task<string?> JsQr(byte[] png) => page.EvaluateAsync<string?>("""
            async png => {
              const image = new Image();
              image.src = "data:image/png;base64," + png;
              await image.decode();
              const canvas = Object.assign(document.createElement("canvas"), { width: image.width, height: image.height });
              const context = canvas.getContext("2d");
              context.drawImage(image, 0, 0);
              return jsQR(context.getImageData(0, 0, image.width, image.height).data, image.width, image.height)?.data ?? null;
            }
            """, Convert.ToBase64String(png));
        var decoded = await JsQr(wifiPhoto);
        Assert.Equal($"WIFI:T:WPA;S:{hotspot.Ssid};P:{hotspot.Password};;", decoded);

        // The installer points the page at the small code by mistake: it says what that code is for.
        await page.SetInputFilesAsync("#labelPhoto", new FilePayload { Name = "wifi.png", MimeType = "image/png", Buffer = wifiPhoto });
        await Expect(page.Locator("#claimError")).ToContainTextAsync("请用手机相机扫描它来连接网关的热点");
        await Expect(page.Locator("#code")).ToHaveValueAsync("");
        // A photo of the whole label reads the claim code, also one where the Wi-Fi code is the larger of the two (a
        // close-up of the label's corner): jsQR reads one code at a time, so the page looks again past the Wi-Fi code.
        await page.SetInputFilesAsync("#labelPhoto", new FilePayload { Name = "label.png", MimeType = "image/png", Buffer = labelPhoto });
        await Expect(page.Locator("#code")).ToHaveValueAsync(code);
        await Expect(page.Locator("#claimError")).ToBeEmptyAsync();
        await page.FillAsync("#code", "");
        var closeUp = await PhotoOf($$"""
            <style>.pair svg { width: 100%; height: 100%; display: block; }</style>
            <div class="pair" style="display:flex;gap:8mm;align-items:center;padding:6mm;background:#fff;width:fit-content">
              <div style="width:30mm;height:30mm">{{LabelSheet.QrSvg(new ClaimPayload(id, code, stack.Fleet.Url))}}</div><div style="width:60mm;height:60mm">{{LabelSheet.QrSvg(hotspot)}}</div>
            </div>
            """, ".pair");
        Assert.StartsWith("WIFI:", await JsQr(closeUp)); // the case that needs the second look
        await page.SetInputFilesAsync("#labelPhoto", new FilePayload { Name = "corner.png", MimeType = "image/png", Buffer = closeUp });
        await Expect(page.Locator("#code")).ToHaveValueAsync(code);
        await Expect(page.Locator("#claimError")).ToBeEmptyAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_claim_whose_answer_is_lost_is_sent_again_with_its_key_and_done_once()
    {
        const string id = "NS-LOSTANS";
        var code = await FactoryGateway(id);
        const string login = "zheng.gong";
        await NewInstaller(login);
        var page = await NewPage();
        // The claim reaches the fleet, but its answer never reaches the phone (the signal went just then); later ones pass.
        var lost = 0;
        await page.RouteAsync("**/api/claims", async route =>
        {
            if (Interlocked.Increment(ref lost) > 1) { await route.ContinueAsync(); return; }
            await route.FetchAsync();
            await route.AbortAsync("internetdisconnected");
        });
        var answered = new List<int>();
        page.Response += (_, r) => { if (r.Request.Method == "POST" && r.Url.EndsWith("/api/claims", StringComparison.Ordinal)) answered.Add(r.Status); };
        await SignInAs(page, $"/install/?d={id}&c={code}", login);
        await page.CheckAsync("#newSite");
        await page.FillAsync("#siteId", "R-LOSTANS");
        await page.FillAsync("#siteName", "信号不好的面馆");
        await page.FillAsync("#lat", "30.2730");
        await page.FillAsync("#lon", "120.1540");
        await page.FillAsync("#hours", "10:00-22:00");
        await page.ClickAsync("#claimButton");

        // Sent again from the phone's queue with the same key: the fleet answers what the first made, and nothing twice.
        await Expect(page.Locator("#deviceId")).ToHaveTextAsync(id, new() { Timeout = 40_000 });
        Assert.Equal(2, lost);
        Assert.Equal([200], answered);
        await Expect(page.Locator("#claimError")).ToBeEmptyAsync();
        using (var http = stack.Fleet.Http())
        {
            Assert.Equal(login, (string?)(await http.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>($"/api/factory/devices/{id}"))!["claimedBy"]);
            var claims = (await http.GetAllAsync($"/api/audit?subject=device:{id}")).Where(e => (string)e!["action"]! == "device.claim").ToList();
            Assert.Equal(2, claims.Count);
            Assert.Contains(claims, e => ((string?)e!["note"])?.Contains("nothing changed") == true);
            Assert.Single(await http.GetAllAsync("/api/sites"), s => (string?)s!["id"] == "R-LOSTANS");
        }
        await page.Context.CloseAsync();
    }

    /// <summary>A 1×1 white PNG: a photo with no QR code in it.</summary>
    private const string BlankPng = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC";

    /// <summary>A gateway on the factory list; its claim code.</summary>
    private async Task<string> FactoryGateway(string id)
    {
        var code = ClaimCode.Generate();
        using var http = stack.Fleet.Http();
        var factory = await http.PostAsJsonAsync("/api/factory/devices", new[] { new { id, claimCode = code, bootstrapSecret = BootstrapSecret.Generate() } });
        Assert.True(factory.IsSuccessStatusCode, await factory.Content.ReadAsStringAsync());
        return code;
    }

    private const string InstallerPassword = "Installer-pass-2026";

    private async Task NewInstaller(string login)
    {
        using var http = stack.Fleet.Http();
        var installer = await http.PostAsJsonAsync("/api/people", new { login, name = "安装工", role = "installer", password = InstallerPassword });
        Assert.True(installer.IsSuccessStatusCode, await installer.Content.ReadAsStringAsync());
    }

    private static async Task SignInAs(IPage page, string path, string login)
    {
        await page.GotoAsync(path);
        await Expect(page).ToHaveURLAsync(new Regex("/login\\.html"));
        await page.FillAsync("#loginName", login);
        await page.FillAsync("#password", InstallerPassword);
        await page.ClickAsync("#signIn");
        await Expect(page).ToHaveURLAsync(new Regex(Regex.Escape(path)));
    }

    /// <summary>What a phone's camera would take of <paramref name="html"/>: a PNG of one element of it.</summary>
    private async Task<byte[]> PhotoOf(string html, string selector)
    {
        var page = await stack.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 900, Height = 700 } });
        await page.SetContentAsync(html);
        var png = await page.Locator(selector).First.ScreenshotAsync();
        await page.CloseAsync();
        return png;
    }
}
