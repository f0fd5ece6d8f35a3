using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Iot.Provisioning.Tests;

/// <summary>A request the fake fleet received.</summary>
public sealed record FleetRequest(string Method, string PathAndQuery, string? Authorization, string Body);

/// <summary>
/// A stand-in for the fleet on a free loopback port (Kestrel in process): records every request and
/// answers with whatever the test's handler returns.
/// </summary>
public sealed class FakeFleet : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly List<FleetRequest> requests = [];

    private FakeFleet(WebApplication app) => this.app = app;

    public string Url { get; private set; } = "";

    public Func<FleetRequest, (int Status, string Json)> Handler { get; set; } = _ => (404, "");

    public IReadOnlyList<FleetRequest> Requests
    {
        get { lock (requests) return requests.ToList(); }
    }

    public static async Task<FakeFleet> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var fleet = new FakeFleet(builder.Build());
        fleet.app.Run(fleet.HandleAsync);
        await fleet.app.StartAsync();
        fleet.Url = fleet.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return fleet;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var request = new FleetRequest(context.Request.Method, context.Request.Path + context.Request.QueryString,
            context.Request.Headers.Authorization.FirstOrDefault(), await reader.ReadToEndAsync());
        lock (requests) requests.Add(request);
        var (status, json) = Handler(request);
        context.Response.StatusCode = status;
        if (json.Length > 0)
        {
            context.Response.ContentType = status >= 400 ? "application/problem+json" : "application/json";
            await context.Response.WriteAsync(json);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
