// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Boolean.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public struct Boolean
    {
        private bool _value;
        public override string ToString() { throw new NotImplementedException(); }
    }
}
