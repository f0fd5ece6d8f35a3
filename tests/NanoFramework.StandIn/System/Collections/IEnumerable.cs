// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Collections/IEnumerable.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Collections
{
    public interface IEnumerable
    {
        IEnumerator GetEnumerator();
    }
}
