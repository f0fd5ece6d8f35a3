// Mirrors nanoframework/System.IO.FileSystem at tag v1.1.93: System.IO.FileSystem/FileAttributes.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.IO
{
    [Flags]
    public enum FileAttributes
    {
        ReadOnly = 0x1,
        Hidden = 0x2,
        System = 0x4,
        Directory = 0x10,
        Archive = 0x20,
        Normal = 0x80
    }
}
