// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/RuntimeTypeHandle.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public struct RuntimeTypeHandle
    {
    }
}
