// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Collections/IEnumerator.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Collections
{
    public interface IEnumerator
    {
        bool MoveNext();
        object Current { get; }
        void Reset();
    }
}
