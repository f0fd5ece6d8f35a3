// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/IComparable.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    public interface IComparable
    {
        int CompareTo(object obj);
    }
}
