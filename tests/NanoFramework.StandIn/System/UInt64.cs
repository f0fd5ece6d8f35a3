// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/UInt64.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public struct UInt64
    {
        internal ulong _value;
        public const ulong MaxValue = 18446744073709551615;
        public const ulong MinValue = 0;
        public override string ToString() { throw new NotImplementedException(); }
        public string ToString(string format) { throw new NotImplementedException(); }
        public static ulong Parse(string s) { throw new NotImplementedException(); }
        public static bool TryParse(string s, out ulong result) { throw new NotImplementedException(); }
    }
}
