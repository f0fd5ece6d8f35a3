// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/MulticastDelegate.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public abstract class MulticastDelegate : Delegate
    {
    }
}
