// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Threading/Thread.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Threading
{
    // Sleep, and a thread started from a delegate: the main loop's watchdog and the broker connection's worker.
    public sealed class Thread
    {
        public Thread(ThreadStart start) { throw new NotImplementedException(); }
        public void Start() { throw new NotImplementedException(); }
        public static void Sleep(int millisecondsTimeout) { throw new NotImplementedException(); }
    }
}
