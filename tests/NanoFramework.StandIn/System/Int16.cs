// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Int16.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public struct Int16
    {
        internal short _value;
        public const short MaxValue = 32767;
        public const short MinValue = -32768;
        public override string ToString() { throw new NotImplementedException(); }
        public string ToString(string format) { throw new NotImplementedException(); }
        public static short Parse(string s) { throw new NotImplementedException(); }
        public static bool TryParse(string s, out short result) { throw new NotImplementedException(); }
    }
}
