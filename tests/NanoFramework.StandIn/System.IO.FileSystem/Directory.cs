// Mirrors nanoframework/System.IO.FileSystem at tag v1.1.93: System.IO.FileSystem/Directory.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.IO
{
    // Every public member of the pinned version. GetFiles and GetDirectories take no search pattern.
    public static class Directory
    {
        public static DirectoryInfo CreateDirectory(string path) { throw new NotImplementedException(); }
        public static void Delete(string path) { throw new NotImplementedException(); }
        public static void Delete(string path, bool recursive) { throw new NotImplementedException(); }
        public static bool Exists(string path) { throw new NotImplementedException(); }
        public static string GetCurrentDirectory() { throw new NotImplementedException(); }
        public static string[] GetFiles(string path) { throw new NotImplementedException(); }
        public static string[] GetDirectories(string path) { throw new NotImplementedException(); }
        public static void Move(string sourceDirName, string destDirName) { throw new NotImplementedException(); }
        public static void SetCurrentDirectory(string path) { throw new NotImplementedException(); }
    }
}
