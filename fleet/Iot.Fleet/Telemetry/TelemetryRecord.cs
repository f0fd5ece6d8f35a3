using QualityBits = Iot.Contract.QualityBits;
namespace Iot.Fleet.Telemetry;

/// <summary>One accepted aggregation window of one device, as stored (identity: Device + Seq).</summary>
public sealed record TelemetryRecord(
    string Device,
    uint Seq,
    long Time,
    int Duration,
    int Quality,
    IReadOnlyDictionary<string, double> Measurements)
{
    /// <summary>Ingest order in the fleet's record journal; 0 until stored.</summary>
    public long RowId { get; init; }

    /// <summary>Firmware version from the envelope that carried the record.</summary>
    public string? Firmware { get; init; }

    /// <summary>The `m` object exactly as the device sent it, kept as evidence and stored without re-encoding.</summary>
    public string? MeasurementsJson { get; init; }

    /// <summary>The site the device was bound to when the record arrived; null for an unbound device.</summary>
    public string? Site { get; init; }

    /// <summary>When the fleet received it.</summary>
    public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>True when the record may count as evidence (no quality bit 1, 2, 4, 8 or 16).</summary>
    public bool IsEvidence => (Quality & QualityBits.NotEvidence) == 0;

    /// <summary>Window start as a point in time.</summary>
    public DateTimeOffset Start => DateTimeOffset.FromUnixTimeSeconds(Time);
}
