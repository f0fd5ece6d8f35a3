// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/ValueType.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public abstract class ValueType
    {
        public override bool Equals(object obj) { throw new NotImplementedException(); }
        public override int GetHashCode() { throw new NotImplementedException(); }
    }
}
