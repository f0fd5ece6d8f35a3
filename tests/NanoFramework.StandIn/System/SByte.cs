// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/SByte.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public struct SByte
    {
        internal sbyte _value;
        public const sbyte MaxValue = 127;
        public const sbyte MinValue = -128;
        public override string ToString() { throw new NotImplementedException(); }
        public string ToString(string format) { throw new NotImplementedException(); }
        public static sbyte Parse(string s) { throw new NotImplementedException(); }
        public static bool TryParse(string s, out sbyte result) { throw new NotImplementedException(); }
    }
}
