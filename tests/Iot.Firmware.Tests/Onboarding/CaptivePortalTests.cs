using System.Text;
using Iot.Gateway.Onboarding;
using Xunit.Abstractions;

namespace Iot.Firmware.Tests.Onboarding;

/// <summary>The onboarding page end to end over bytes: form, redirects of the phones' probes, submit, result, refusals.</summary>
public class CaptivePortalTests
{
    private readonly FakeWifiStation _wifi = new();
    private readonly WifiOnboarding _onboarding;
    private readonly CaptivePortal _portal;

    private readonly ITestOutputHelper _output;

    public CaptivePortalTests(ITestOutputHelper output)
    {
        _output = output;
        _onboarding = new WifiOnboarding(_wifi);
        _onboarding.Open(WifiOnboarding.OpenedUnconfigured, 0);
        _portal = new CaptivePortal(_onboarding, "NS-0001", "192.168.4.1");
    }

    private sealed record Response(int Status, Dictionary<string, string> Headers, string Body);

    private Response Send(string request)
    {
        var reader = new HttpRequestReader();
        var bytes = Encoding.UTF8.GetBytes(request);
        if (reader.Push(bytes, 0, bytes.Length) == HttpRequestReader.NeedMore) reader.EndOfStream();
        var text = Encoding.UTF8.GetString(_portal.Respond(reader, 1000));
        int split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var lines = text[..split].Split("\r\n");
        var headers = lines.Skip(1).Select(l => l.Split(": ", 2)).ToDictionary(p => p[0], p => p[1]);
        var body = text[(split + 4)..];
        Assert.Equal(Encoding.UTF8.GetByteCount(body), int.Parse(headers["Content-Length"]));
        Assert.Equal("close", headers["Connection"]);
        Assert.Equal("no-store", headers["Cache-Control"]);
        return new Response(int.Parse(lines[0].Split(' ')[1]), headers, body);
    }

    private Response Post(string body, string contentType = "application/x-www-form-urlencoded") =>
        Send($"POST /wifi HTTP/1.1\r\nHost: 192.168.4.1\r\nContent-Type: {contentType}\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}");

    [Fact]
    public void Serves_the_bilingual_form_with_the_device_id()
    {
        var r = Send("GET / HTTP/1.1\r\nHost: 192.168.4.1\r\n\r\n");
        Assert.Equal(200, r.Status);
        Assert.Equal("text/html; charset=utf-8", r.Headers["Content-Type"]);
        Assert.Contains("<b>NS-0001</b>", r.Body);
        Assert.Contains("网关配网", r.Body);
        Assert.Contains("Gateway Wi-Fi setup", r.Body);
        Assert.Contains("<form method=\"post\" action=\"/wifi\">", r.Body);
        Assert.Contains("name=\"ssid\"", r.Body);
        Assert.Contains("name=\"password\"", r.Body);
        Assert.DoesNotContain("<script", r.Body);
        Assert.DoesNotContain("http-equiv=\"refresh\"", r.Body);
        Assert.True(Encoding.UTF8.GetByteCount(r.Body) < 2048, "one small page");
    }

    [Theory]
    [InlineData("connectivitycheck.gstatic.com", "/generate_204")]          // Android
    [InlineData("connect.rom.miui.com", "/generate_204")]                   // Xiaomi
    [InlineData("connectivitycheck.platform.hicloud.com", "/generate_204")] // Huawei
    [InlineData("captive.apple.com", "/hotspot-detect.html")]               // iOS, macOS
    [InlineData("www.msftconnecttest.com", "/connecttest.txt")]             // Windows
    [InlineData("detectportal.firefox.com", "/success.txt")]                // Firefox
    [InlineData("192.168.4.1", "/generate_204")]
    [InlineData("192.168.4.1", "/favicon.ico")]
    [InlineData("example.com", "/")]
    public void Redirects_the_phones_probes_and_other_hosts_to_the_page(string host, string path)
    {
        var r = Send($"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n");
        Assert.Equal(302, r.Status);
        Assert.Equal("http://192.168.4.1/", r.Headers["Location"]);
    }

    [Fact]
    public void Submits_a_network_and_shows_joining_then_the_result()
    {
        var r = Post("ssid=site-router&password=mysecurepassword");
        Assert.Equal(303, r.Status);
        Assert.Equal("http://192.168.4.1/", r.Headers["Location"]);
        Assert.Equal(WifiOnboarding.Joining, _onboarding.State);

        var joining = Send("GET / HTTP/1.1\r\nHost: 192.168.4.1\r\n\r\n");
        Assert.Contains("正在连接", joining.Body);
        Assert.Contains("Joining “site-router”", joining.Body);
        Assert.Contains("http-equiv=\"refresh\"", joining.Body);
        Assert.DoesNotContain("<form", joining.Body);
        Assert.Equal(409, Post("ssid=other&password=mysecurepassword").Status);

        _onboarding.Tick(2000);
        var joined = Send("GET / HTTP/1.1\r\nHost: 192.168.4.1\r\n\r\n");
        Assert.Contains("已连接", joined.Body);
        Assert.Contains("Joined “site-router”", joined.Body);
        Assert.DoesNotContain("<form", joined.Body);
    }

    [Fact]
    public void A_failed_join_shows_why_and_the_form_again()
    {
        Post("ssid=site-router&password=wrongpassword");
        _onboarding.Tick(2000);
        var r = Send("GET / HTTP/1.1\r\nHost: 192.168.4.1\r\n\r\n");
        Assert.Contains("无法连接", r.Body);
        Assert.Contains("Could not join “site-router”", r.Body);
        Assert.Contains("<form", r.Body);
    }

    [Fact]
    public void Refuses_a_bad_form_with_its_message_beside_the_form()
    {
        var r = Post("ssid=site&password=short");
        Assert.Equal(400, r.Status);
        Assert.Contains("8 to 63", r.Body);
        Assert.Contains("<form", r.Body);
        Assert.Equal(WifiOnboarding.Waiting, _onboarding.State);
        Assert.Equal(400, Post("ssid=%ZZ").Status);
        Assert.Equal(415, Post("{\"ssid\":\"a\"}", "application/json").Status);
        Assert.Empty(_wifi.Joins);
    }

    [Fact]
    public void Escapes_what_it_did_not_write()
    {
        var portal = new CaptivePortal(_onboarding, "<i>NS</i>", "192.168.4.1");
        Post("ssid=%3Cscript%3Ealert(1)%3C%2Fscript%3E&password=");
        var reader = new HttpRequestReader();
        var get = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n\r\n");
        reader.Push(get, 0, get.Length);
        var body = Encoding.UTF8.GetString(portal.Respond(reader, 0));
        Assert.Contains("&lt;i&gt;NS&lt;/i&gt;", body);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", body);
        Assert.DoesNotContain("<script>", body);
    }

    [Theory]
    [InlineData("PUT /wifi HTTP/1.1\r\n\r\n", 405)]
    [InlineData("POST / HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 6\r\n\r\nssid=a", 404)]
    [InlineData("POST /wifi HTTP/1.1\r\nContent-Length: 2000\r\n\r\n", 413)]
    [InlineData("POST /wifi HTTP/1.1\r\nContent-Length: 10\r\n\r\nssid", 400)]
    [InlineData("GET / HTTP/1.1\r\nX: \u0001\r\n\r\n", 400)]
    public void Answers_refused_requests_with_their_status_and_message(string request, int status)
    {
        var r = Send(request);
        Assert.Equal(status, r.Status);
        Assert.Contains("class=\"error\"", r.Body);
        if (status == 405) Assert.Equal("GET, POST", r.Headers["Allow"]);
    }

    [Fact]
    public void Only_the_page_keeps_a_button_opened_hotspot_open_not_the_phones_probes()
    {
        _onboarding.Open(WifiOnboarding.OpenedByButton, 0);
        Respond("GET /generate_204 HTTP/1.1\r\nHost: connectivitycheck.gstatic.com\r\n\r\n", WifiOnboarding.IdleCloseMs - 1);
        _onboarding.Tick(WifiOnboarding.IdleCloseMs);
        Assert.True(_onboarding.CloseRequested);

        _onboarding.Open(WifiOnboarding.OpenedByButton, 0);
        Respond("GET / HTTP/1.1\r\nHost: 192.168.4.1\r\n\r\n", WifiOnboarding.IdleCloseMs - 1);
        _onboarding.Tick(WifiOnboarding.IdleCloseMs);
        Assert.False(_onboarding.CloseRequested);
    }

    private void Respond(string request, long nowMs)
    {
        var reader = new HttpRequestReader();
        var bytes = Encoding.ASCII.GetBytes(request);
        reader.Push(bytes, 0, bytes.Length);
        _portal.Respond(reader, nowMs);
    }

    [Fact]
    public void A_page_is_small_and_costs_little_heap()
    {
        var get = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: 192.168.4.1\r\n\r\n");
        var reader = new HttpRequestReader();
        reader.Push(get, 0, get.Length);
        _portal.Respond(reader, 0); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        var page = _portal.Respond(reader, 0);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        _output.WriteLine($"GET / response: {page.Length} bytes; allocated on .NET: {allocated} bytes");
        Assert.InRange(page.Length, 1000, 4096);
        Assert.InRange(allocated, 1, 64 * 1024);
    }

    [Fact]
    public void Every_response_to_random_input_is_well_formed_HTTP()
    {
        var random = new Random(80);
        for (int run = 0; run < 500; run++)
        {
            var reader = new HttpRequestReader();
            var bytes = new byte[random.Next(0, 3000)];
            random.NextBytes(bytes);
            var head = Encoding.ASCII.GetBytes(run % 2 == 0 ? "POST /wifi HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 40\r\n\r\n" : "GET / HTTP/1.1\r\n");
            reader.Push(head, 0, head.Length);
            if (reader.Push(bytes, 0, bytes.Length) == HttpRequestReader.NeedMore) reader.EndOfStream();
            var text = Encoding.UTF8.GetString(_portal.Respond(reader, run));
            Assert.Matches(@"^HTTP/1\.1 [2-5]\d\d [A-Za-z ]+\r\n", text);
            _onboarding.Tick(run);
        }
    }
}
