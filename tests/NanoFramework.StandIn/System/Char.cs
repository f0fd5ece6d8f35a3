// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Char.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public struct Char
    {
        internal char _value;
        public const char MaxValue = (char)0xFFFF;
        public const char MinValue = (char)0x00;
        public override string ToString() { throw new NotImplementedException(); }
    }
}
