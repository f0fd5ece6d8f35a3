// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Void.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public struct Void
    {
    }
}
