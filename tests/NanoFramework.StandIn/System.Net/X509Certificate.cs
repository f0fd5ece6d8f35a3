// Mirrors nanoframework/System.Net at tag v1.11.60: nanoFramework.System.Net/X509Certificates/X509Certificate.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Security.Cryptography.X509Certificates
{
    public class X509Certificate
    {
        public X509Certificate(byte[] certificate) { }
    }
}
