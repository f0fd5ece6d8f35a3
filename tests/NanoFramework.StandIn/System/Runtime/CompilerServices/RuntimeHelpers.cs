// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Runtime/CompilerServices/RuntimeHelpers.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Runtime.CompilerServices
{
    public static class RuntimeHelpers
    {
        public static void InitializeArray(Array array, RuntimeFieldHandle fldHandle) { throw new NotImplementedException(); }
    }
}
