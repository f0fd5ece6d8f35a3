// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/FlagsAttribute.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [AttributeUsage(AttributeTargets.Enum)]
    [Serializable]
    public class FlagsAttribute : Attribute
    {
    }
}
