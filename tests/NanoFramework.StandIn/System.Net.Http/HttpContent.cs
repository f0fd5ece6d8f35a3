// Mirrors nanoframework/System.Net.Http at tag v1.5.210: nanoFramework.System.Net.Http/Http/HttpContent.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Net.Http
{
    using System.IO;
    using System.Net.Http.Headers;

    public abstract class HttpContent : IDisposable
    {
        public HttpContentHeaders Headers { get { throw new NotImplementedException(); } }
        public Stream ReadAsStream() { throw new NotImplementedException(); }
        public void Dispose() { throw new NotImplementedException(); }
    }
}
