using System.Text.RegularExpressions;
using Iot.Contract;

namespace Iot.Fleet.Telemetry;

/// <summary>The fixed limits and names of wire protocol v1 (../shared/spec/wire-protocol.md).</summary>
public static partial class WireProtocol
{
    public const int Version = WireLimits.Version;
    public const int MaxPayloadBytes = WireLimits.MaxPayloadBytes;
    public const int MaxRecordsPerMessage = WireLimits.MaxRecordsPerMessage;
    public const int DefaultDurationSeconds = WireLimits.DefaultDurationSeconds;
    public const int MaxDurationSeconds = WireLimits.MaxDurationSeconds;

    /// <summary>Records before this are a gateway with a lost clock, not history.</summary>
    public static readonly DateTimeOffset EarliestRecord = DateTimeOffset.FromUnixTimeSeconds(WireLimits.EarliestRecordUnixSeconds);

    /// <summary>How far ahead of the fleet's clock a record may start (gateway clocks drift).</summary>
    public static readonly TimeSpan MaxClockLead = TimeSpan.FromSeconds(WireLimits.MaxClockLeadSeconds);

    /// <summary>Names a channel may not take: the fields and tags the fleet itself writes beside the
    /// channels (InfluxDB line protocol, the journal), so a device cannot collide with them.</summary>
    public static readonly IReadOnlySet<string> ReservedChannelNames =
        new HashSet<string>(["q", "seq", "dur", "t", "time", "dev", "site", "m", "v", "fw", "boot", "measurement"], StringComparer.Ordinal);

    /// <summary>Largest `data` object of an event, as JSON text.</summary>
    public const int MaxEventDataBytes = WireLimits.MaxEventDataBytes;

    [GeneratedRegex(WireLimits.DeviceIdPattern)]
    public static partial Regex DeviceId();

    [GeneratedRegex("^[a-z][a-z0-9_]{0,31}$")]
    public static partial Regex ChannelName();

    /// <summary>Event types: the spec's and project-defined ones share this shape; the fleet's own
    /// entries in the events table (see <see cref="FleetEventTypes"/>) contain a dot, so no device can forge one.</summary>
    [GeneratedRegex("^[a-z][a-z0-9_]{0,31}$")]
    public static partial Regex EventType();

    /// <summary>The accepted range of a device's `t` (records, events): after <see cref="EarliestRecord"/>
    /// and at most <see cref="MaxClockLead"/> ahead of the fleet.</summary>
    public static (long Earliest, long Latest) TimeRange(DateTimeOffset now) =>
        (EarliestRecord.ToUnixTimeSeconds(), (now + MaxClockLead).ToUnixTimeSeconds());
}
