// Mirrors nanoframework/System.IO.FileSystem at tag v1.1.93: System.IO.FileSystem/DirectoryInfo.cs (and FileSystemInfo.cs)
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.IO
{
    // Only what Directory.CreateDirectory's callers may read; upstream derives from FileSystemInfo and has more.
    public sealed class DirectoryInfo : MarshalByRefObject
    {
        public DirectoryInfo(string path) { }
        public string Name { get { throw new NotImplementedException(); } }
        public string FullName { get { throw new NotImplementedException(); } }
        public bool Exists { get { throw new NotImplementedException(); } }
    }
}
