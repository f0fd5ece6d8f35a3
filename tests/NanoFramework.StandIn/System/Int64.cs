// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Int64.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public struct Int64
    {
        internal long _value;
        public const long MaxValue = 9223372036854775807;
        public const long MinValue = -9223372036854775807 - 1;
        public override string ToString() { throw new NotImplementedException(); }
        public string ToString(string format) { throw new NotImplementedException(); }
        public static long Parse(string s) { throw new NotImplementedException(); }
        public static bool TryParse(string s, out long result) { throw new NotImplementedException(); }
    }
}
