// Mirrors nanoframework/System.IO.Ports at tag v1.1.139: System.IO.Ports/StopBits.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.IO.Ports
{
    public enum StopBits
    {
        None,
        One,
        Two,
        OnePointFive
    }
}
