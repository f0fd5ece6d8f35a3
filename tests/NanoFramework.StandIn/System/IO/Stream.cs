// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/IO/Stream.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.IO
{
    // Upstream derives from MarshalByRefObject as well; the stand-in leaves that base out.
    [Serializable]
    public abstract class Stream : IDisposable
    {
        public abstract bool CanRead { get; }
        public abstract bool CanSeek { get; }
        public abstract bool CanWrite { get; }
        public abstract long Length { get; }
        public abstract long Position { get; set; }
        public virtual void Close() { throw new NotImplementedException(); }
        public void Dispose() { throw new NotImplementedException(); }
        protected virtual void Dispose(bool disposing) { throw new NotImplementedException(); }
        public abstract void Flush();
        public abstract int Read(byte[] buffer, int offset, int count);
        public virtual int ReadByte() { throw new NotImplementedException(); }
        public abstract long Seek(long offset, SeekOrigin origin);
        public abstract void SetLength(long value);
        public abstract void Write(byte[] buffer, int offset, int count);
        public virtual void WriteByte(byte value) { throw new NotImplementedException(); }
    }
}
