// Mirrors nanoframework/System.IO.FileSystem at tag v1.1.93: System.IO.FileSystem/FileAccess.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.IO
{
    [Flags]
    public enum FileAccess
    {
        Read = 1,
        Write = 2,
        ReadWrite = 3
    }
}
