// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/EventArgs.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public class EventArgs
    {
        public static readonly EventArgs Empty = new EventArgs();
        public EventArgs() { }
    }
}
