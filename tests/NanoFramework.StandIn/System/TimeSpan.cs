// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/TimeSpan.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public struct TimeSpan
    {
        private long _ticks;
        public TimeSpan(int hours, int minutes, int seconds) { throw new NotImplementedException(); }
    }
}
