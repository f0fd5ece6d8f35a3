// Mirrors nanoframework/System.IO.FileSystem: System.IO.FileSystem/FileStream.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.IO
{
    // Upstream: every Read/Write is synced to the file system at once (Flush does nothing), and Position
    // cannot be set beyond Length, so a file is grown by writing at its end.
    public class FileStream : Stream
    {
        public FileStream(string path, FileMode mode) { }
        public override bool CanRead { get { throw new NotImplementedException(); } }
        public override bool CanSeek { get { throw new NotImplementedException(); } }
        public override bool CanWrite { get { throw new NotImplementedException(); } }
        public override long Length { get { throw new NotImplementedException(); } }
        public override long Position { get { throw new NotImplementedException(); } set { throw new NotImplementedException(); } }
        public override void Flush() { throw new NotImplementedException(); }
        public override int Read(byte[] buffer, int offset, int count) { throw new NotImplementedException(); }
        public override long Seek(long offset, SeekOrigin origin) { throw new NotImplementedException(); }
        public override void SetLength(long value) { throw new NotImplementedException(); }
        public override void Write(byte[] buffer, int offset, int count) { throw new NotImplementedException(); }
    }
}
