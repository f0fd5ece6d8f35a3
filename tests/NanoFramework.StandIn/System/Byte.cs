// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Byte.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public struct Byte
    {
        internal byte _value;
        public const byte MaxValue = 255;
        public const byte MinValue = 0;
        public override string ToString() { throw new NotImplementedException(); }
        public string ToString(string format) { throw new NotImplementedException(); }
        public static byte Parse(string s) { throw new NotImplementedException(); }
        public static bool TryParse(string s, out byte result) { throw new NotImplementedException(); }
    }
}
