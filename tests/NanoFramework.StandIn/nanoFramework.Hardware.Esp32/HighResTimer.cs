// Mirrors nanoframework/nanoFramework.Hardware.Esp32 at tag v1.6.40: nanoFramework.Hardware.Esp32/HighResTimer.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace nanoFramework.Hardware.Esp32
{
    // Only the static clock; the timer events are not used.
    public class HighResTimer
    {
        /// <summary>Microseconds since boot (esp_timer); never set back by SNTP.</summary>
        public static ulong GetCurrent() { throw new System.NotImplementedException(); }
    }
}
