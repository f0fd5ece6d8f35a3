// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Threading/Thread.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Threading
{
    // Only Sleep: the gateway runs one main loop and starts no threads of its own.
    public sealed class Thread
    {
        public static void Sleep(int millisecondsTimeout) { throw new NotImplementedException(); }
    }
}
