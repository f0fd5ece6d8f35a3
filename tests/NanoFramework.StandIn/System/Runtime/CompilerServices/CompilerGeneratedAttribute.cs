// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Runtime/CompilerServices/CompilerGeneratedAttribute.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Runtime.CompilerServices
{
    [AttributeUsage(AttributeTargets.All, Inherited = true)]
    public sealed class CompilerGeneratedAttribute : Attribute
    {
    }
}
