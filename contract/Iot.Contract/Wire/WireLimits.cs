namespace Iot.Contract
{
    /// <summary>The fixed numbers of wire protocol v1 (shared/spec/wire-protocol.md) that both sides enforce.</summary>
    public static class WireLimits
    {
        /// <summary>Protocol version, "v" of every message.</summary>
        public const int Version = 1;
        /// <summary>Largest message in bytes (16 KiB).</summary>
        public const int MaxPayloadBytes = 16 * 1024;
        /// <summary>Most records in one telemetry envelope.</summary>
        public const int MaxRecordsPerMessage = 200;
        /// <summary>A record's window when it has no "dur", seconds.</summary>
        public const int DefaultDurationSeconds = 60;
        /// <summary>Longest window a record may cover, seconds.</summary>
        public const int MaxDurationSeconds = 3600;
        /// <summary>Largest "data" object of an event, bytes of JSON text.</summary>
        public const int MaxEventDataBytes = 2048;
        /// <summary>Records before 2020-01-01T00:00:00Z (Unix seconds) come from a gateway with a lost clock, not history.</summary>
        public const long EarliestRecordUnixSeconds = 1577836800;
        /// <summary>How far ahead of the fleet's clock a record may start, seconds (gateway clocks drift).</summary>
        public const int MaxClockLeadSeconds = 600;
        /// <summary>Device and site ids: 3 to 32 of A-Z, 0-9 and '-', not starting with '-'.</summary>
        public const string DeviceIdPattern = "^[A-Z0-9][A-Z0-9-]{2,31}$";
        /// <summary>Longest device id.</summary>
        public const int MaxDeviceIdLength = 32;
    }
}
