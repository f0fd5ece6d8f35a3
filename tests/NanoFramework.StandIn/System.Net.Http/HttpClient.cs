// Mirrors nanoframework/System.Net.Http at tag v1.5.210: nanoFramework.System.Net.Http/Http/HttpClient.cs (and HttpMessageInvoker.cs)
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Net.Http
{
    using System.Net.Security;
    using System.Security.Cryptography.X509Certificates;

    // Only the members the gateway uses. Upstream is synchronous: Send blocks until the response headers (or,
    // with ResponseContentRead, the whole body) are in; Timeout defaults to infinite; HttpsAuthentCert is the
    // root CA for https (null: the CA stored in the device's network configuration).
    public class HttpClient : IDisposable
    {
        public HttpClient() { }
        public TimeSpan Timeout { get { throw new NotImplementedException(); } set { throw new NotImplementedException(); } }
        public X509Certificate HttpsAuthentCert { get { throw new NotImplementedException(); } set { throw new NotImplementedException(); } }
        public SslProtocols SslProtocols { get { throw new NotImplementedException(); } set { throw new NotImplementedException(); } }
        public HttpResponseMessage Send(HttpRequestMessage request, HttpCompletionOption completionOption) { throw new NotImplementedException(); }
        public void Dispose() { throw new NotImplementedException(); }
    }
}
