// Mirrors nanoframework/System.IO.Streams at tag v1.1.96: System.IO.Streams/SeekOrigin.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.IO
{
    [Serializable]
    public enum SeekOrigin
    {
        Begin = 0,
        Current = 1,
        End = 2
    }
}
