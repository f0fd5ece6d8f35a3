// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Reflection/DefaultMemberAttribute.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Reflection
{
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Interface)]
    [Serializable]
    public sealed class DefaultMemberAttribute : Attribute
    {
        public DefaultMemberAttribute(string memberName) { }
        public string MemberName { get { throw new NotImplementedException(); } }
    }
}
