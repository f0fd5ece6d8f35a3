// Mirrors nanoframework/System.Net.Http at tag v1.5.210: nanoFramework.System.Net.Http/Http/Headers/HttpHeaders.cs,
// HttpRequestHeaders.cs and HttpContentHeaders.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Net.Http.Headers
{
    // Upstream Add goes to a WebHeaderCollection created without the restricted-header check, so "Range" may be
    // added; HttpClientHandler copies every request header to the HttpWebRequest as it is.
    public abstract class HttpHeaders
    {
        public void Add(string name, string value) { throw new NotImplementedException(); }
    }

    public sealed class HttpRequestHeaders : HttpHeaders
    {
    }

    public sealed class HttpContentHeaders : HttpHeaders
    {
        // -1 when the response has no Content-Length.
        public long ContentLength { get { throw new NotImplementedException(); } }
    }
}
