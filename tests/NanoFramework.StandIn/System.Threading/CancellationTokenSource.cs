// Mirrors nanoframework/System.Threading at tag v1.1.52: System.Threading/CancellationTokenSource.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Threading
{
    public class CancellationTokenSource : IDisposable
    {
        public CancellationTokenSource() { }
        public CancellationTokenSource(int millisecondsDelay) { }
        public CancellationToken Token { get { throw new NotImplementedException(); } }
        public void Dispose() { throw new NotImplementedException(); }
    }
}
