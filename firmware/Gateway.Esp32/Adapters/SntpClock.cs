using System;
using System.Threading;
using Iot.Gateway.Hardware;
using nanoFramework.Hardware.Esp32;
using nanoFramework.Networking;

namespace Iot.Gateway.Esp32.Adapters
{
    /// <summary>
    /// IClock on the ESP32: wall clock from the RTC, which the native SNTP client sets; monotonic time from the
    /// esp_timer microsecond counter, which SNTP never moves.
    /// </summary>
    public sealed class SntpClock : IClock
    {
        /// <summary>2025-01-01T00:00:00Z. After power-up the RTC starts in the past; a time before this was never synchronised.</summary>
        public const long EarliestValidUtcSeconds = 1735689600;

        private const long UnixEpochTicks = 621355968000000000;
        private const long TicksPerSecond = 10000000;

        /// <summary>Points the native SNTP client at the given servers and starts it.</summary>
        public SntpClock(string server1, string server2)
        {
            Sntp.Server1 = server1;
            Sntp.Server2 = server2;
            Sntp.Start();
        }

        /// <inheritdoc />
        public long UtcSeconds
        {
            get { return (DateTime.UtcNow.Ticks - UnixEpochTicks) / TicksPerSecond; }
        }

        /// <inheritdoc />
        public bool IsSynchronized
        {
            get { return UtcSeconds >= EarliestValidUtcSeconds; }
        }

        /// <inheritdoc />
        public long MonotonicMs
        {
            get { return (long)(HighResTimer.GetCurrent() / 1000); }
        }

        /// <inheritdoc />
        public void Sleep(int milliseconds)
        {
            if (milliseconds > 0) Thread.Sleep(milliseconds);
        }
    }
}
