// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/AttributeUsageAttribute.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [AttributeUsage(AttributeTargets.Class, Inherited = true)]
    [Serializable]
    public sealed class AttributeUsageAttribute : Attribute
    {
        public AttributeUsageAttribute(AttributeTargets validOn) { }
        public AttributeTargets ValidOn { get { throw new NotImplementedException(); } }
        public bool AllowMultiple { get { throw new NotImplementedException(); } set { } }
        public bool Inherited { get { throw new NotImplementedException(); } set { } }
    }
}
