// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/IDisposable.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    public interface IDisposable
    {
        void Dispose();
    }
}
