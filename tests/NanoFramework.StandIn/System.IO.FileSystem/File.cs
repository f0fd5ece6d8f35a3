// Mirrors nanoframework/System.IO.FileSystem at tag v1.1.93: System.IO.FileSystem/File.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.IO
{
    // Every public member of the pinned version except AppendText and OpenText (StreamWriter/StreamReader, not stood in).
    public static class File
    {
        public static void AppendAllText(string path, string contents) { throw new NotImplementedException(); }
        public static void Copy(string sourceFileName, string destFileName) { throw new NotImplementedException(); }
        public static void Copy(string sourceFileName, string destFileName, bool overwrite) { throw new NotImplementedException(); }
        public static FileStream Create(string path) { throw new NotImplementedException(); }
        public static FileStream Create(string path, int bufferSize) { throw new NotImplementedException(); }
        public static void Delete(string path) { throw new NotImplementedException(); }
        public static bool Exists(string path) { throw new NotImplementedException(); }
        public static FileAttributes GetAttributes(string path) { throw new NotImplementedException(); }
        public static void Move(string sourceFileName, string destFileName) { throw new NotImplementedException(); }
        public static FileStream Open(string path, FileMode mode) { throw new NotImplementedException(); }
        public static FileStream Open(string path, FileMode mode, FileAccess access) { throw new NotImplementedException(); }
        public static FileStream Open(string path, FileMode mode, FileAccess access, FileShare share) { throw new NotImplementedException(); }
        public static FileStream OpenRead(string path) { throw new NotImplementedException(); }
        public static FileStream OpenWrite(string path) { throw new NotImplementedException(); }
        public static byte[] ReadAllBytes(string path) { throw new NotImplementedException(); }
        public static string ReadAllText(string path) { throw new NotImplementedException(); }
        public static void SetAttributes(string path, FileAttributes fileAttributes) { throw new NotImplementedException(); }
        public static void WriteAllBytes(string path, byte[] bytes) { throw new NotImplementedException(); }
        public static void WriteAllText(string path, string contents) { throw new NotImplementedException(); }
    }
}
