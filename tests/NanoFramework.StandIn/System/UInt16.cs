// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/UInt16.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public struct UInt16
    {
        internal ushort _value;
        public const ushort MaxValue = 65535;
        public const ushort MinValue = 0;
        public override string ToString() { throw new NotImplementedException(); }
        public string ToString(string format) { throw new NotImplementedException(); }
        public static ushort Parse(string s) { throw new NotImplementedException(); }
        public static bool TryParse(string s, out ushort result) { throw new NotImplementedException(); }
    }
}
