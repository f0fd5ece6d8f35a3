// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Diagnostics/Debug.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Diagnostics
{
    // Upstream marks WriteLine [Conditional("DEBUG")]: a Release build drops the calls.
    public static class Debug
    {
        public static void WriteLine(string message) { throw new NotImplementedException(); }
    }
}
