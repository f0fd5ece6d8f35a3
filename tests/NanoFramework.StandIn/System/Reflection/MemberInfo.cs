// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Reflection/MemberInfo.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Reflection
{
    [Serializable]
    public abstract class MemberInfo
    {
        public abstract string Name { get; }
    }
}
