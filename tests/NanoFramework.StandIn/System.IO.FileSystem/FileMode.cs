// Mirrors nanoframework/System.IO.FileSystem at tag v1.1.93: System.IO.FileSystem/FileMode.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.IO
{
    public enum FileMode
    {
        CreateNew = 1,
        Create = 2,
        Open = 3,
        OpenOrCreate = 4,
        Truncate = 5,
        Append = 6
    }
}
