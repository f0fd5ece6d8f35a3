// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Int32.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public struct Int32
    {
        internal int _value;
        public const int MaxValue = 2147483647;
        public const int MinValue = -2147483647 - 1;
        public override string ToString() { throw new NotImplementedException(); }
        public string ToString(string format) { throw new NotImplementedException(); }
        public static int Parse(string s) { throw new NotImplementedException(); }
        public static bool TryParse(string s, out int result) { throw new NotImplementedException(); }
    }
}
