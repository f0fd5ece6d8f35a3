// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/SerializableAttribute.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Enum | AttributeTargets.Delegate, Inherited = false)]
    public sealed class SerializableAttribute : Attribute
    {
    }
}
