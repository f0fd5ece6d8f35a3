// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/UInt32.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public struct UInt32
    {
        internal uint _value;
        public const uint MaxValue = 4294967295;
        public const uint MinValue = 0;
        public override string ToString() { throw new NotImplementedException(); }
        public string ToString(string format) { throw new NotImplementedException(); }
        public static uint Parse(string s) { throw new NotImplementedException(); }
        public static bool TryParse(string s, out uint result) { throw new NotImplementedException(); }
    }
}
