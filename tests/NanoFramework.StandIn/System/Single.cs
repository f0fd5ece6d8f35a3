// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Single.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public struct Single
    {
        internal float _value;
        public const float MinValue = (float)-3.40282346638528859e+38;
        public const float MaxValue = (float)3.40282346638528859e+38;
        public override string ToString() { throw new NotImplementedException(); }
        public string ToString(string format) { throw new NotImplementedException(); }
    }
}
