// Mirrors nanoframework/System.IO.FileSystem at tag v1.1.93: System.IO.FileSystem/FileStream.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.IO
{
    // Every public member of the pinned version. Upstream: Read(SpanByte) throws NotImplementedException; Flush
    // passes to the native file stream; the 2-argument constructor opens ReadWrite (Write for Append), FileShare.Read.
    public class FileStream : Stream
    {
        public FileStream(string path, FileMode mode) { }
        public FileStream(string path, FileMode mode, FileAccess access) { }
        public FileStream(string path, FileMode mode, FileAccess access, FileShare share) { }
        public FileStream(string path, FileMode mode, FileAccess access, FileShare share, int bufferSize) { }
        public override bool CanRead { get { throw new NotImplementedException(); } }
        public override bool CanSeek { get { throw new NotImplementedException(); } }
        public override bool CanWrite { get { throw new NotImplementedException(); } }
        public override long Length { get { throw new NotImplementedException(); } }
        public override long Position { get { throw new NotImplementedException(); } set { throw new NotImplementedException(); } }
        public string Name { get { throw new NotImplementedException(); } }
        public override void Close() { throw new NotImplementedException(); }
        protected override void Dispose(bool disposing) { throw new NotImplementedException(); }
        public override void Flush() { throw new NotImplementedException(); }
        public override int Read(byte[] buffer, int offset, int count) { throw new NotImplementedException(); }
        public override int Read(SpanByte buffer) { throw new NotImplementedException(); }
        public override int ReadByte() { throw new NotImplementedException(); }
        public override long Seek(long offset, SeekOrigin origin) { throw new NotImplementedException(); }
        public override void SetLength(long value) { throw new NotImplementedException(); }
        public override void Write(byte[] buffer, int offset, int count) { throw new NotImplementedException(); }
        public override void WriteByte(byte value) { throw new NotImplementedException(); }
    }
}
