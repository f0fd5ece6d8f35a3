// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/RuntimeMethodHandle.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public struct RuntimeMethodHandle
    {
    }
}
