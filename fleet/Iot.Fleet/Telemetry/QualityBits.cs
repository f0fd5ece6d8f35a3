namespace Iot.Fleet.Telemetry;

/// <summary>The `q` bits of a telemetry record (wire protocol v1).</summary>
public static class QualityBits
{
    public const int ClockUnsynced = 1;
    public const int SensorFault = 2;
    public const int WarmingUp = 4;
    public const int Maintenance = 8;
    public const int Tamper = 16;
    public const int Backfill = 32;
    public const int PowerInterrupted = 64;

    /// <summary>Any of these makes a record "not evidence": stored, but never a valid minute.</summary>
    public const int NotEvidence = ClockUnsynced | SensorFault | WarmingUp | Maintenance | Tamper;

    /// <summary>Every bit version 1 defines.</summary>
    public const int All = NotEvidence | Backfill | PowerInterrupted;
}
