namespace Iot.Contract
{
    /// <summary>The record quality bits "q" of wire protocol v1; the only list of them in the firmware.</summary>
    public static class QualityBits
    {
        /// <summary>Clock not synchronised during the window.</summary>
        public const int ClockUnsynced = 1;
        /// <summary>Sensor fault or sensor silent during the window.</summary>
        public const int SensorFault = 2;
        /// <summary>Sensor warming up.</summary>
        public const int WarmUp = 4;
        /// <summary>Maintenance or calibration mode.</summary>
        public const int Maintenance = 8;
        /// <summary>Tamper switch open during the window.</summary>
        public const int Tamper = 16;
        /// <summary>Sent late from the device's store (informational).</summary>
        public const int Backfill = 32;
        /// <summary>Power was interrupted during the window (informational).</summary>
        public const int PowerInterruption = 64;

        /// <summary>Bits that make a record "not evidence" for the fleet's rules.</summary>
        public const int NotEvidence = ClockUnsynced | SensorFault | WarmUp | Maintenance | Tamper;

        /// <summary>Every defined bit.</summary>
        public const int All = 127;

        /// <summary>A record leaving the store later than this after its window ended is marked as backfill.</summary>
        public const int BackfillAfterSeconds = 120;

        /// <summary>The bits to send for a stored record at time nowUtc: adds Backfill when it is late.</summary>
        public static int ForSending(int storedBits, long windowStart, int durationSeconds, long nowUtc)
        {
            if (IsLate(windowStart, durationSeconds, nowUtc)) return storedBits | Backfill;
            return storedBits;
        }

        /// <summary>True when a record of this window, sent at nowUtc, leaves the store late (it carries the backfill bit).</summary>
        public static bool IsLate(long windowStart, int durationSeconds, long nowUtc)
        {
            return nowUtc - (windowStart + durationSeconds) > BackfillAfterSeconds;
        }
    }
}
