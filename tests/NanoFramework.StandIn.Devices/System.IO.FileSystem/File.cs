// Mirrors nanoframework/System.IO.FileSystem: System.IO.FileSystem/File.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.IO
{
    public static class File
    {
        public static bool Exists(string path) { throw new NotImplementedException(); }
        public static void Delete(string path) { throw new NotImplementedException(); }
    }
}
