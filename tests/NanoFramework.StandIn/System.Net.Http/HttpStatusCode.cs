// Mirrors nanoframework/System.Net.Http at tag v1.5.210: nanoFramework.System.Net.Http/Http/System.Net.HttpStatusCode.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Net
{
    // Only the codes the gateway tests for.
    public enum HttpStatusCode
    {
        OK = 200,
        PartialContent = 206,
        RequestedRangeNotSatisfiable = 416
    }
}
