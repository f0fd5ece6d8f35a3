// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/DateTime.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    // Only the members the ESP32 app uses. Upstream DateTime counts 100 ns ticks from 0001-01-01 like .NET;
    // UtcNow is the RTC, set by SNTP once the network is up.
    [Serializable]
    public struct DateTime
    {
        private ulong _ticks;
        public static DateTime UtcNow { get { throw new NotImplementedException(); } }
        public long Ticks { get { throw new NotImplementedException(); } }
    }
}
