// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/UIntPtr.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).
// The compiler needs it for array.Length (ldlen yields a native unsigned int).

namespace System
{
    [Serializable]
    public struct UIntPtr
    {
        private uint _value;
    }
}
