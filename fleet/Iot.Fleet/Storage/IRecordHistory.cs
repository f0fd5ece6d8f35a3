using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Storage;

/// <summary>The fleet's record journal, read back when late data reaches hours no longer in memory
/// or after a restart.</summary>
public interface IRecordHistory
{
    /// <summary>Records of the device overlapping [fromTime, toTime) that were stored before <paramref name="beforeRowId"/>.</summary>
    IReadOnlyList<TelemetryRecord> Load(string device, long fromTime, long toTime, long beforeRowId);

    /// <summary>Highest minute covered by the device's records stored before <paramref name="beforeRowId"/>.</summary>
    long? LatestMinute(string device, long beforeRowId);
}
