// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/IntPtr.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public struct IntPtr
    {
        private int _value;
    }
}
