// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Reflection/MethodBase.cs and MethodInfo.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Reflection
{
    [Serializable]
    public abstract class MethodBase : MemberInfo
    {
        public object Invoke(object obj, object[] parameters) { throw new NotImplementedException(); }
    }

    [Serializable]
    public abstract class MethodInfo : MethodBase
    {
    }
}
