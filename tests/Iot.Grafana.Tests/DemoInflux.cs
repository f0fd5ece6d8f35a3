using System.Net.Http;
using System.Text;
using System.Text.Json.Nodes;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;
using Iot.Gateway.Virtual.Simulation;
using Iot.Stack;
using Xunit;

namespace Iot.Grafana.Tests;

/// <summary>
/// A private InfluxDB holding the last three hours of the demo scenario (ending now: breaches are under way),
/// plus the outage and incidents scenarios ending 20 minutes ago (backfill, clock loss, tamper, power cuts, and
/// devices that have gone silent), written in the fleet's line protocol to the provisioned database.
/// </summary>
public sealed class DemoInflux : IAsyncLifetime
{
    private InfluxServer? _server;
    private HttpClient? _http;

    internal ProvisionedDatasource Datasource { get; } = GrafanaFiles.Datasource();

    /// <summary>The data source's URL as Grafana sees it, with INFLUX_URL set to the private server.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>What was loaded.</summary>
    internal IReadOnlyList<TelemetryRecord> Records { get; private set; } = [];

    public async Task InitializeAsync()
    {
        _server = InfluxServer.Start();
        Url = new Uri(GrafanaFiles.ExpandEnvironment(Datasource.Url, new Dictionary<string, string> { ["INFLUX_URL"] = _server.Url.ToString().TrimEnd('/') }));
        _http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(30) };

        var end = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60 * 60;
        var records = new List<TelemetryRecord>();
        records.AddRange(DemoReadings.Of(Scenario.Load(DemoReadings.ScenarioFile("demo.yaml")), end));
        records.AddRange(DemoReadings.Of(Scenario.Load(DemoReadings.ScenarioFile("outage.yaml")), end - 20 * 60));
        records.AddRange(DemoReadings.Of(Scenario.Load(DemoReadings.ScenarioFile("incidents.yaml")), end - 20 * 60));
        Records = records;

        var lines = new StringBuilder();
        foreach (var record in records) LineProtocol.Append(lines, record);
        await Post("query", $"CREATE DATABASE \"{Datasource.Database}\"");
        using var content = new StringContent(lines.ToString(), Encoding.UTF8, "text/plain");
        using var written = await _http.PostAsync($"write?db={Uri.EscapeDataString(Datasource.Database)}&precision=s", content);
        if (!written.IsSuccessStatusCode)
            throw new InvalidOperationException($"InfluxDB refused the demo data: {(int)written.StatusCode} {await written.Content.ReadAsStringAsync()}");
    }

    /// <summary>Runs InfluxQL as Grafana does (GET /query, epoch=ms) and returns the first statement's result.</summary>
    public async Task<InfluxResult> Query(string influxQl)
    {
        var url = $"query?db={Uri.EscapeDataString(Datasource.Database)}&epoch=ms&q={Uri.EscapeDataString(influxQl)}";
        using var response = await _http!.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        var json = JsonNode.Parse(body);
        var error = (string?)json?["error"] ?? (string?)json?["results"]?[0]?["error"];
        if (!response.IsSuccessStatusCode && error is null) error = $"HTTP {(int)response.StatusCode}: {body}";
        var series = json?["results"]?[0]?["series"]?.AsArray() ?? [];
        var rows = series.Select(s => s!["values"]?.AsArray() ?? []).SelectMany(v => v).Select(r => r!.AsArray()).ToList();
        return new InfluxResult(error, rows, body);
    }

    private async Task Post(string path, string influxQl)
    {
        using var response = await _http!.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string> { ["q"] = influxQl }));
        response.EnsureSuccessStatusCode();
    }

    public Task DisposeAsync()
    {
        _http?.Dispose();
        _server?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>An InfluxQL answer: the error, or the rows of all series.</summary>
public sealed record InfluxResult(string? Error, IReadOnlyList<JsonArray> Rows, string Body);
