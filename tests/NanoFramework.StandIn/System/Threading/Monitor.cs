// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Threading/Monitor.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Threading
{
    // Upstream has only Enter(object) and Exit(object), so the C# compiler lowers `lock` to exactly these.
    public static class Monitor
    {
        public static void Enter(object obj) { throw new NotImplementedException(); }
        public static void Exit(object obj) { throw new NotImplementedException(); }
    }
}
