using System.Text;
using Iot.Gateway.Onboarding;

namespace Iot.Firmware.Tests.Onboarding;

/// <summary>The onboarding page's request reader: well-formed requests in any split, and every way a client can go wrong.</summary>
public class HttpRequestReaderTests
{
    private static HttpRequestReader Read(string text, int chunk = int.MaxValue)
    {
        var reader = new HttpRequestReader();
        var bytes = Encoding.UTF8.GetBytes(text);
        for (int at = 0; at < bytes.Length && reader.State == HttpRequestReader.NeedMore; at += chunk)
            reader.Push(bytes, at, Math.Min(chunk, bytes.Length - at));
        return reader;
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1)]
    [InlineData(7)]
    public void Reads_a_GET_in_any_split(int chunk)
    {
        var r = Read("GET /generate_204?x=1 HTTP/1.1\r\nHost: connectivitycheck.gstatic.com\r\nUser-Agent: Dalvik\r\n\r\n", chunk);
        Assert.Equal(HttpRequestReader.Complete, r.State);
        Assert.Equal("GET", r.Method);
        Assert.Equal("/generate_204", r.Path);
        Assert.Equal("connectivitycheck.gstatic.com", r.Host);
        Assert.Equal(0, r.BodyLength);
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1)]
    public void Reads_a_POST_with_its_body(int chunk)
    {
        var body = "ssid=site&password=secret123";
        var r = Read($"POST /wifi HTTP/1.1\r\nHost: 192.168.4.1:80\r\nContent-Type: application/x-www-form-urlencoded; charset=UTF-8\r\nContent-Length: {body.Length}\r\n\r\n{body}", chunk);
        Assert.Equal(HttpRequestReader.Complete, r.State);
        Assert.Equal("POST", r.Method);
        Assert.Equal("192.168.4.1", r.Host);
        Assert.Equal("application/x-www-form-urlencoded", r.ContentType);
        Assert.Equal(body, Encoding.ASCII.GetString(r.Body, 0, r.BodyLength));
    }

    [Fact]
    public void Accepts_bare_line_feeds_and_the_absolute_form()
    {
        var r = Read("GET http://captive.apple.com/hotspot-detect.html HTTP/1.0\nHost: captive.apple.com\n\n");
        Assert.Equal(HttpRequestReader.Complete, r.State);
        Assert.Equal("/hotspot-detect.html", r.Path);
    }

    [Fact]
    public void Waits_for_the_whole_body()
    {
        var r = Read("POST /wifi HTTP/1.1\r\nContent-Length: 10\r\n\r\nssid=");
        Assert.Equal(HttpRequestReader.NeedMore, r.State);
        Assert.Equal(HttpRequestReader.Refused, r.EndOfStream());
        Assert.Equal(400, r.RefusalStatus);
    }

    [Theory]
    [InlineData("PUT /wifi HTTP/1.1\r\n\r\n", 405)]
    [InlineData("DELETE / HTTP/1.1\r\n\r\n", 405)]
    [InlineData("OPTIONS * HTTP/1.1\r\n\r\n", 405)]
    [InlineData("get / HTTP/1.1\r\n\r\n", 400)]
    [InlineData("GETTINGLONG / HTTP/1.1\r\n\r\n", 400)]
    [InlineData("GET / HTTP/2.0\r\n\r\n", 505)]
    [InlineData("GET /\r\n\r\n", 400)]
    [InlineData("GET  / HTTP/1.1\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1 extra\r\n\r\n", 400)]
    [InlineData("GET wifi HTTP/1.1\r\n\r\n", 400)]
    [InlineData("GET /a\u0001b HTTP/1.1\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nNo colon here\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\n: empty name\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nX-A: b\u0007c\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 400)]
    [InlineData("POST /wifi HTTP/1.1\r\n\r\n", 411)]
    [InlineData("POST /wifi HTTP/1.1\r\nContent-Length: 1025\r\n\r\n", 413)]
    [InlineData("POST /wifi HTTP/1.1\r\nContent-Length: 99999999999999\r\n\r\n", 400)]
    [InlineData("POST /wifi HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400)]
    [InlineData("POST /wifi HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n", 400)]
    [InlineData("POST /wifi HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501)]
    public void Refuses_bad_requests_with_the_status_that_says_why(string text, int status)
    {
        var r = Read(text);
        Assert.Equal(HttpRequestReader.Refused, r.State);
        Assert.Equal(status, r.RefusalStatus);
        Assert.Contains(" / ", r.Problem); // Chinese / English
    }

    [Fact]
    public void Refuses_a_header_flood_once_the_limit_is_passed()
    {
        var text = new StringBuilder("GET / HTTP/1.1\r\n");
        for (int i = 0; i <= HttpRequestReader.MaxHeaderLines; i++) text.Append("X: 1\r\n");
        var r = Read(text.Append("\r\n").ToString());
        Assert.Equal(431, r.RefusalStatus);
    }

    [Fact]
    public void Refuses_oversized_headers_without_buffering_them()
    {
        var reader = new HttpRequestReader();
        var junk = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nCookie: " + new string('a', 100_000));
        reader.Push(junk, 0, junk.Length);
        Assert.Equal(HttpRequestReader.Refused, reader.State);
        Assert.Equal(431, reader.RefusalStatus);
    }

    [Fact]
    public void Refuses_an_overlong_target()
    {
        var r = Read("GET /" + new string('a', HttpRequestReader.MaxTargetLength) + " HTTP/1.1\r\n\r\n");
        Assert.Equal(400, r.RefusalStatus);
    }

    [Fact]
    public void Ignores_bytes_after_the_request_and_starts_again_after_Reset()
    {
        var reader = new HttpRequestReader();
        var two = Encoding.ASCII.GetBytes("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
        Assert.Equal(HttpRequestReader.Complete, reader.Push(two, 0, two.Length));
        Assert.Equal("/a", reader.Path);
        reader.Reset();
        Assert.Null(reader.Path);
        Assert.Equal(HttpRequestReader.Complete, reader.Push(two, 19, two.Length - 19));
        Assert.Equal("/b", reader.Path);
    }

    [Fact]
    public void Random_bytes_never_throw_and_never_grow_the_buffer()
    {
        var random = new Random(212);
        var prefixes = new[] { "", "GET / HTTP/1.1\r\n", "POST /wifi HTTP/1.1\r\nContent-Length: 20\r\n" };
        for (int run = 0; run < 3000; run++)
        {
            var reader = new HttpRequestReader();
            var prefix = Encoding.ASCII.GetBytes(prefixes[run % prefixes.Length]);
            reader.Push(prefix, 0, prefix.Length);
            var bytes = new byte[random.Next(0, 4000)];
            random.NextBytes(bytes);
            if (run % 2 == 0) for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)"\r\n: aZ%"[bytes[i] % 7];
            int state = reader.Push(bytes, 0, bytes.Length);
            if (state == HttpRequestReader.NeedMore) state = reader.EndOfStream();
            Assert.NotEqual(HttpRequestReader.NeedMore, state);
            Assert.True(reader.BodyLength <= HttpRequestReader.MaxBodyBytes);
        }
    }
}
