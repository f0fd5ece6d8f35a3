// Mirrors nanoframework/System.IO.Streams at tag v1.1.96: System.IO.Streams/Stream.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.IO
{
    /// <summary>The base of every stream; not in nanoFramework's mscorlib since 1.15, it ships in System.IO.Streams.</summary>
    [Serializable]
    public abstract class Stream : MarshalByRefObject, IDisposable
    {
        public abstract bool CanRead { get; }
        public abstract bool CanSeek { get; }
        public virtual bool CanTimeout { get { throw new NotImplementedException(); } }
        public abstract bool CanWrite { get; }
        public abstract long Length { get; }
        public abstract long Position { get; set; }
        public virtual int ReadTimeout { get { throw new NotImplementedException(); } set { throw new NotImplementedException(); } }
        public virtual int WriteTimeout { get { throw new NotImplementedException(); } set { throw new NotImplementedException(); } }
        public virtual void Close() { throw new NotImplementedException(); }
        public void CopyTo(Stream destination) { throw new NotImplementedException(); }
        public void Dispose() { throw new NotImplementedException(); }
        protected virtual void Dispose(bool disposing) { throw new NotImplementedException(); }
        public abstract void Flush();
        public abstract long Seek(long offset, SeekOrigin origin);
        public abstract void SetLength(long value);
        public abstract int Read(SpanByte buffer);
        public abstract int Read(byte[] buffer, int offset, int count);
        public virtual int ReadByte() { throw new NotImplementedException(); }
        public abstract void Write(byte[] buffer, int offset, int count);
        public virtual void WriteByte(byte value) { throw new NotImplementedException(); }
    }
}
