// Mirrors nanoframework/System.Threading at tag v1.1.52: System.Threading/CancellationToken.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Threading
{
    public struct CancellationToken
    {
        private CancellationTokenSource _source;
        public bool IsCancellationRequested { get { throw new NotImplementedException(); } }
    }
}
