using System.Net;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.HttpOverrides;
using KestrelServerOptions = Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions;

namespace Iot.Fleet.Api;

/// <summary>Options for running behind a TLS-terminating reverse proxy (section "Proxy").</summary>
public sealed class ProxyOptions
{
    /// <summary>Addresses of proxies whose X-Forwarded-For/-Proto are believed, besides loopback (always trusted).</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of such proxies in CIDR notation (e.g. `10.0.0.0/24`).</summary>
    public List<string> KnownNetworks { get; set; } = [];
}

/// <summary>What every HTTP answer of the fleet carries, whatever produced it (a page, the API, a static file, an
/// error): a content security policy that lets only the fleet's own script files run, nosniff, no referrer, no
/// framing, and HSTS when the request came over HTTPS (directly or through a known proxy). Also the server-wide
/// body limit (<see cref="RequestLimits"/>) and the one problem handler: refusals and unhandled errors as problem details.</summary>
public static class HttpSecurity
{
    /// <summary>Scripts only from the fleet's own files: no inline script, no event-handler attributes, no eval,
    /// so markup that slips into a page (a site name, a photo) cannot run. Inline styles stay allowed: the printable
    /// evidence page and the OTA page are rendered server side with their styles inline, and styles cannot run code.
    /// No CDN anywhere (the pages work on a closed network), so 'self' is enough for everything else.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>The installer's page scans QR codes with the camera and fills in the site's position; nothing needs more.</summary>
    public const string PermissionsPolicy = "camera=(self), geolocation=(self), microphone=(), payment=(), usb=()";

    /// <summary>A year; the fleet is served over HTTPS or not at all once a proxy terminates TLS for it.</summary>
    public const string StrictTransportSecurity = "max-age=31536000";

    public static WebApplicationBuilder AddHttpSecurity(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = RequestLimits.Default);
        var proxy = builder.Configuration.GetSection("Proxy").Get<ProxyOptions>() ?? new ProxyOptions();
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            // Not the host: the fleet builds no links from it, and a forged one would only confuse the logs.
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // The defaults (127.0.0.0/8 and ::1) stay: a proxy on the same machine is the common case.
            foreach (var address in proxy.KnownProxies) o.KnownProxies.Add(IPAddress.Parse(address));
            foreach (var network in proxy.KnownNetworks) o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        });
        return builder;
    }

    /// <summary>Goes first in the pipeline: the client's real address and scheme before anything reads them
    /// (the login throttle, the Secure flag of the session cookie), the headers before anything answers.</summary>
    public static WebApplication UseHttpSecurity(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.Use((http, next) =>
        {
            // On starting, not now: an error handler clears the headers set so far, but not these callbacks.
            http.Response.OnStarting(() =>
            {
                var headers = http.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers["Permissions-Policy"] = PermissionsPolicy;
                if (http.Request.IsHttps) headers.StrictTransportSecurity = StrictTransportSecurity;
                return Task.CompletedTask;
            });
            return next(http);
        });
        // The one problem handler: a refusal (Api/RefusalException) or a malformed request answers its status with the
        // reason; anything else is a 500 whose detail stays in the log. Without a handler Kestrel answers an unhandled
        // exception with a bare 500 that skips the callbacks above.
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = e => e switch
            {
                RefusalException refusal => refusal.Status,
                BadHttpRequestException bad => bad.StatusCode,
                _ => StatusCodes.Status500InternalServerError,
            },
            ExceptionHandler = http =>
            {
                var detail = http.Features.Get<IExceptionHandlerFeature>()?.Error switch
                {
                    RefusalException refusal => refusal.Message,
                    BadHttpRequestException bad => bad.Message,
                    _ => "The fleet could not answer this request; the error is in its log.",
                };
                return TypedResults.Problem(detail, statusCode: http.Response.StatusCode).ExecuteAsync(http);
            },
            // A refusal is an answer, not a fault of the fleet: it is not logged as an unhandled error.
            SuppressDiagnosticsCallback = c => c.Exception is RefusalException,
        });
        return app;
    }
}
