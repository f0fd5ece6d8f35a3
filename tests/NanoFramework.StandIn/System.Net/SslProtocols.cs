// Mirrors nanoframework/System.Net at tag v1.11.60: nanoFramework.System.Net/Security/SslProtocols.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Net.Security
{
    [Flags]
    public enum SslProtocols
    {
        None = 0x00,
        Tls12 = 0xC00
    }
}
