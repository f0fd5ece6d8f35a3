using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Iot.Contract.Http;

namespace Iot.Provisioning;

/// <summary>An answer from the fleet that is not a success, or no answer at all, explained for the person at the keyboard.</summary>
public sealed class FleetException(string message, HttpStatusCode? status = null, FleetProblem? problem = null) : Exception(message)
{
    public HttpStatusCode? Status { get; } = status;
    public FleetProblem? Problem { get; } = problem;
}

/// <summary>The fleet's provisioning API (contract in provisioning/README.md), one method per call.</summary>
public sealed class FleetClient : IDisposable
{
    private readonly HttpClient http;

    public FleetClient(Uri fleet, string token, HttpMessageHandler? handler = null)
    {
        http = handler is null ? new HttpClient() : new HttpClient(handler);
        http.BaseAddress = fleet;
        http.Timeout = TimeSpan.FromSeconds(60);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public Uri Fleet => http.BaseAddress!;

    /// <summary>POST /api/factory/devices: all identities or none (409 if any id exists).</summary>
    public async Task<FactoryUploadResult> UploadFactoryAsync(IReadOnlyList<FactoryDevice> devices, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Post, "api/factory/devices", devices, ct);
        if (response.IsSuccessStatusCode) return await ReadAsync<FactoryUploadResult>(response, ct);
        throw await FailureAsync(response, "upload the factory list", status => status switch
        {
            HttpStatusCode.Conflict => "some of these gateways are already registered; nothing was stored",
            _ => null,
        }, ct);
    }

    /// <summary>POST /api/claims.</summary>
    public async Task<ClaimResult> ClaimAsync(ClaimRequest claim, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Post, "api/claims", claim, ct);
        if (response.IsSuccessStatusCode) return await ReadAsync<ClaimResult>(response, ct);
        throw await FailureAsync(response, "claim the gateway", status => status switch
        {
            HttpStatusCode.NotFound => "unknown claim code: check the label (or the factory list was never uploaded)",
            HttpStatusCode.Conflict => "this claim code was already used: the gateway belongs to a site already",
            HttpStatusCode.Gone => "this claim code has expired: ask the fleet's engineers to release the gateway again",
            _ => null,
        }, ct);
    }

    /// <summary>GET /api/devices/{id}/commissioning.</summary>
    public async Task<CommissioningReport> GetCommissioningAsync(string deviceId, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Get, $"api/devices/{Uri.EscapeDataString(deviceId)}/commissioning", null, ct);
        if (response.IsSuccessStatusCode) return await ReadAsync<CommissioningReport>(response, ct);
        throw await FailureAsync(response, $"read the commissioning checklist of {deviceId}", status => status switch
        {
            HttpStatusCode.NotFound => $"the fleet does not know gateway {deviceId}",
            _ => null,
        }, ct);
    }

    /// <summary>GET /api/sites: the ids of the sites the fleet has, every page (`{items, next, total}`).</summary>
    public async Task<IReadOnlySet<string>> GetSiteIdsAsync(CancellationToken ct)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        string? cursor = null;
        do
        {
            var path = cursor is null ? "api/sites?limit=1000" : $"api/sites?limit=1000&cursor={Uri.EscapeDataString(cursor)}";
            using var response = await SendAsync(HttpMethod.Get, path, null, ct);
            if (!response.IsSuccessStatusCode) throw await FailureAsync(response, "list the fleet's sites", _ => null, ct);
            var page = await ReadAsync<JsonElement>(response, ct);
            if (page.ValueKind != JsonValueKind.Object || !page.TryGetProperty("items", out var sites) || sites.ValueKind != JsonValueKind.Array)
                throw new FleetException("the fleet's site list is not a page ({items, next, total})");
            ids.UnionWith(sites.EnumerateArray().Select(s => s.TryGetProperty("id", out var id) ? id.GetString() : null).OfType<string>());
            cursor = page.TryGetProperty("next", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (cursor is not null);
        return ids;
    }

    /// <summary>POST /api/import?dry_run=…: the result, or the items the fleet refused (422).</summary>
    public async Task<(ImportResult? Result, IReadOnlyList<ImportItemError> Refused)> ImportAsync(ImportRequest import, bool dryRun, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Post, $"api/import?dry_run={(dryRun ? "true" : "false")}", import, ct);
        if (response.IsSuccessStatusCode) return (await ReadAsync<ImportResult>(response, ct), []);
        if (response.StatusCode == HttpStatusCode.UnprocessableEntity && await ReadProblemAsync(response, ct) is { Errors.Count: > 0 } problem)
            return (null, problem.Errors);
        throw await FailureAsync(response, "import", _ => null, ct);
    }

    public void Dispose() => http.Dispose();

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        // A buffered body with Content-Length, not chunked: some proxies in front of the fleet refuse chunked requests.
        if (body is not null)
        {
            request.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), FleetJson.Options));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }
        try
        {
            return await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new FleetException($"cannot reach the fleet at {Fleet}: {e.InnerException?.Message ?? e.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new FleetException($"the fleet at {Fleet} did not answer within {http.Timeout.TotalSeconds:0} s");
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(FleetJson.Options, ct)
                ?? throw new FleetException($"the fleet answered {(int)response.StatusCode} with an empty body");
        }
        catch (JsonException e)
        {
            throw new FleetException($"the fleet's answer is not what this tool expects ({e.Message}): is iot-prov older than the fleet?");
        }
    }

    private static async Task<FleetProblem?> ReadProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<FleetProblem>(FleetJson.Options, ct);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            return null;
        }
    }

    private static async Task<FleetException> FailureAsync(HttpResponseMessage response, string what,
        Func<HttpStatusCode, string?> explain, CancellationToken ct)
    {
        var problem = await ReadProblemAsync(response, ct);
        var status = response.StatusCode;
        var meaning = explain(status) ?? status switch
        {
            HttpStatusCode.Unauthorized => "the fleet refused the token: check --token (or IOT_FLEET_TOKEN)",
            HttpStatusCode.Forbidden => $"this token is not allowed to {what}",
            HttpStatusCode.NotFound => $"the fleet has no such endpoint: is {response.RequestMessage?.RequestUri?.GetLeftPart(UriPartial.Authority)} the fleet?",
            _ when (int)status >= 500 => $"the fleet failed to {what}; try again, and tell the fleet's engineers if it persists",
            _ => $"the fleet refused to {what}",
        };
        var detail = problem?.Detail ?? problem?.Title;
        var message = $"{meaning} ({(int)status} {response.ReasonPhrase}){(string.IsNullOrWhiteSpace(detail) ? "" : $": {detail}")}";
        return new FleetException(message, status, problem);
    }
}
