// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Type.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    using Reflection;

    [Serializable]
    public abstract class Type : MemberInfo
    {
        public static Type GetTypeFromHandle(RuntimeTypeHandle handle) { throw new NotImplementedException(); }
        public MethodInfo GetMethod(string name) { throw new NotImplementedException(); }
    }
}
