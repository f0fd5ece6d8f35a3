using Microsoft.AspNetCore.Http.Metadata;

namespace Iot.Fleet.Api;

/// <summary>How large a request body may be: <see cref="Default"/> for every endpoint (Kestrel's server-wide
/// limit), more only where an endpoint says so with <see cref="WithBodyLimit{TBuilder}"/>. Routing applies the
/// endpoint's limit before the body is read; a larger body is answered 413.</summary>
public static class RequestLimits
{
    /// <summary>Every JSON body the API takes (a site, a case step, a login) fits many times over.</summary>
    public const long Default = 1024 * 1024;

    /// <summary>A bulk list (the installer's import, a factory batch): tens of thousands of sites or gateways.</summary>
    public const long BulkList = 16 * 1024 * 1024;

    /// <summary>Lets this endpoint take bodies up to <paramref name="bytes"/> (an upload, a bulk import).</summary>
    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder endpoint, long bytes) where TBuilder : IEndpointConventionBuilder =>
        endpoint.WithMetadata(new BodyLimit(bytes));

    private sealed record BodyLimit(long? MaxRequestBodySize) : IRequestSizeLimitMetadata;
}
