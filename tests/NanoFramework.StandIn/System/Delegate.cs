// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Delegate.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public abstract class Delegate
    {
    }
}
