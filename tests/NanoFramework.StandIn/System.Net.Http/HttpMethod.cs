// Mirrors nanoframework/System.Net.Http at tag v1.5.210: nanoFramework.System.Net.Http/Http/HttpMethod.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Net.Http
{
    public class HttpMethod
    {
        public HttpMethod(string method) { }
        public static HttpMethod Get { get { throw new NotImplementedException(); } }
    }
}
