// Mirrors nanoframework/System.Net.Http at tag v1.5.210: nanoFramework.System.Net.Http/Http/HttpResponseMessage.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Net.Http
{
    public class HttpResponseMessage : IDisposable
    {
        public HttpContent Content { get { throw new NotImplementedException(); } set { throw new NotImplementedException(); } }
        public HttpStatusCode StatusCode { get { throw new NotImplementedException(); } }
        public bool IsSuccessStatusCode { get { throw new NotImplementedException(); } }
        public void Dispose() { throw new NotImplementedException(); }
    }
}
