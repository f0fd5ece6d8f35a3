// Mirrors nanoframework/System.Net.Http at tag v1.5.210: nanoFramework.System.Net.Http/Http/HttpCompletionOption.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Net.Http
{
    public enum HttpCompletionOption
    {
        ResponseContentRead = 0,
        ResponseHeadersRead = 1
    }
}
