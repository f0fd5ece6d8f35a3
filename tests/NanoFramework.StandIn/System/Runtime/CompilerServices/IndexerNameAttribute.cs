// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Runtime/CompilerServices/IndexerNameAttribute.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Runtime.CompilerServices
{
    [AttributeUsage(AttributeTargets.Property, Inherited = true)]
    [Serializable]
    public sealed class IndexerNameAttribute : Attribute
    {
        public IndexerNameAttribute(string indexerName) { }
    }
}
