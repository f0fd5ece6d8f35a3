// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/ParamArrayAttribute.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [AttributeUsage(AttributeTargets.Parameter)]
    public sealed class ParamArrayAttribute : Attribute
    {
    }
}
