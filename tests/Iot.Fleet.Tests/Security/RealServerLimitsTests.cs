using System.Net;
using System.Text;
using Iot.Fleet.Api;
using Iot.Fleet.Commissioning;
using Iot.Fleet.People;
using Iot.Fleet.Photos;
using Iot.Stack;
using Xunit;

namespace Iot.Fleet.Tests.Security;

/// <summary>The fleet as its own process (Kestrel, as deployed): 1 MiB bodies everywhere, more only on the uploads and
/// bulk lists that need it; the forwarded scheme of a proxy on the same machine turns on HSTS.</summary>
public sealed class RealServerLimitsTests(RealServerLimitsTests.Stack stack) : IClassFixture<RealServerLimitsTests.Stack>
{
    private readonly FleetServer _fleet = stack.Fleet;

    /// <summary>Broker, InfluxDB and the fleet, started once for these tests.</summary>
    public sealed class Stack : IDisposable
    {
        private readonly MosquittoBroker _broker = MosquittoBroker.Start();
        private readonly InfluxServer _influx = InfluxServer.Start();

        public Stack() => Fleet = FleetServer.Start(new Iot.Stack.FleetOptions { MqttHost = _broker.Host, MqttPort = _broker.Port, InfluxUrl = _influx.Url, DatabaseConnectionString = Iot.Testing.TestDatabase.ForFleetServer() });

        public FleetServer Fleet { get; }

        public void Dispose()
        {
            Fleet.Dispose();
            _influx.Dispose();
            _broker.Dispose();
        }
    }

    [Fact]
    public async Task A_body_over_a_MiB_is_refused_with_413_where_no_endpoint_asks_for_more()
    {
        using var http = _fleet.Http();

        var answer = await TooLarge(http, "/api/sites", Padded("""{"id":"S-BIG","name":"Big","kind":"fume"}""", 2 * 1024 * 1024));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, answer.StatusCode);
        Assert.Equal("nosniff", answer.Headers.GetValues("X-Content-Type-Options").Single());
        var small = await http.PostAsync("/api/sites", Padded("""{"id":"S-SMALL","name":"Small","kind":"fume"}""", 512 * 1024));
        Assert.Equal(HttpStatusCode.Created, small.StatusCode);
    }

    [Fact]
    public async Task The_uploads_and_bulk_lists_take_more_than_a_MiB()
    {
        using var http = _fleet.Http();
        var beyondDefault = (int)RequestLimits.Default + 512 * 1024;

        var import = await http.PostAsync("/api/import?dry_run=true", Padded("""{"sites":[{"id":"S-IMPORT","name":"Imported","kind":"fume"}],"devices":[]}""", beyondDefault));
        Assert.Equal(HttpStatusCode.OK, import.StatusCode);

        var factory = await http.PostAsync("/api/factory/devices", Padded("[]", beyondDefault));
        Assert.NotEqual(HttpStatusCode.RequestEntityTooLarge, factory.StatusCode);
        Assert.True(factory.StatusCode < HttpStatusCode.InternalServerError, $"{factory.StatusCode}");

        // A photo is read, then judged: this one is not a picture, and it says so (not 413).
        var svg = Convert.ToBase64String(Encoding.UTF8.GetBytes("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"));
        var photo = await http.PostAsync("/api/devices/GW-LIMITS-1/commissioning", Padded($$"""{"note":"x","photo":"data:image/svg+xml;base64,{{svg}}"}""", 3 * 1024 * 1024));
        Assert.Equal(HttpStatusCode.BadRequest, photo.StatusCode);
        Assert.Contains("JPEG or PNG", await photo.Content.ReadAsStringAsync());
        var hugePhoto = await TooLarge(http, "/api/devices/GW-LIMITS-1/commissioning",
            Padded("""{"note":"x"}""", CommissioningPhoto.MaxUploadBytes / 3 * 4 + 128 * 1024));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, hugePhoto.StatusCode);

        // A release bundle of a few MiB reaches the signature check (refused there, not for its size).
        using var form = new MultipartFormDataContent
        {
            { new StringContent("""{"version":"9.9.9"}"""), "release", "release.json" },
            { new ByteArrayContent(new byte[3 * 1024 * 1024]), "bundle", "bundle.bin" },
        };
        var release = await http.PostAsync("/api/releases", form);
        Assert.NotEqual(HttpStatusCode.RequestEntityTooLarge, release.StatusCode);
        Assert.True(release.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity, $"{release.StatusCode}: {await release.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task HSTS_is_sent_when_the_proxy_on_this_machine_says_the_client_came_over_HTTPS()
    {
        using var http = new HttpClient { BaseAddress = _fleet.Url };

        var plain = await http.GetAsync("/healthz");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        request.Headers.Add("X-Forwarded-Proto", "https");
        var proxied = await http.SendAsync(request);

        Assert.False(plain.Headers.Contains("Strict-Transport-Security"));
        Assert.Equal(HttpSecurity.StrictTransportSecurity, proxied.Headers.GetValues("Strict-Transport-Security").Single());
        Assert.Equal(HttpSecurity.ContentSecurityPolicy, proxied.Headers.GetValues("Content-Security-Policy").Single());
    }

    /// <summary>Sends with `Expect: 100-continue`, as large uploads should: the fleet answers before the body goes out
    /// (without it, the fleet answers 413 and closes while the client is still writing).</summary>
    private static async Task<HttpResponseMessage> TooLarge(HttpClient http, string path, HttpContent body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body };
        request.Headers.ExpectContinue = true;
        return await http.SendAsync(request);
    }

    /// <summary>JSON followed by whitespace up to <paramref name="size"/> bytes: only the size differs from a small body.</summary>
    private static ByteArrayContent Padded(string json, int size)
    {
        var bytes = Encoding.UTF8.GetBytes(json.PadRight(size));
        return new ByteArrayContent(bytes) { Headers = { ContentType = new("application/json") } };
    }
}
