// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Threading/ThreadStart.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Threading
{
    public delegate void ThreadStart();
}
