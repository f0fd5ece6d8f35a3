// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Enum.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    // nanoFramework's Enum has no GetValues/GetNames/Parse/IsDefined: enum names are not kept on the device.
    [Serializable]
    public abstract class Enum : ValueType
    {
        public override string ToString() { throw new NotImplementedException(); }
        public bool HasFlag(Enum flag) { throw new NotImplementedException(); }
    }
}
