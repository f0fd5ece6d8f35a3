// Mirrors nanoframework/System.Net.Http at tag v1.5.210: nanoFramework.System.Net.Http/Http/HttpRequestMessage.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Net.Http
{
    using System.Net.Http.Headers;

    public class HttpRequestMessage : IDisposable
    {
        public HttpRequestMessage(HttpMethod method, string requestUri) { }
        public HttpRequestHeaders Headers { get { throw new NotImplementedException(); } }
        public void Dispose() { throw new NotImplementedException(); }
    }
}
