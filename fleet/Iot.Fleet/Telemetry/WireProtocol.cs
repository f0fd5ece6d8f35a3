using System.Text.RegularExpressions;

namespace Iot.Fleet.Telemetry;

/// <summary>The fixed limits and names of wire protocol v1 (../shared/spec/wire-protocol.md).</summary>
public static partial class WireProtocol
{
    public const int Version = 1;
    public const int MaxPayloadBytes = 16 * 1024;
    public const int MaxRecordsPerMessage = 200;
    public const int DefaultDurationSeconds = 60;
    public const int MaxDurationSeconds = 3600;
    public const string TopicRoot = "iot/v1";

    /// <summary>Records before this are a gateway with a lost clock, not history.</summary>
    public static readonly DateTimeOffset EarliestRecord = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>How far ahead of the fleet's clock a record may start (gateway clocks drift).</summary>
    public static readonly TimeSpan MaxClockLead = TimeSpan.FromMinutes(10);

    /// <summary>Names a channel may not take: the fields and tags the fleet itself writes beside the
    /// channels (InfluxDB line protocol, the journal), so a device cannot collide with them.</summary>
    public static readonly IReadOnlySet<string> ReservedChannelNames =
        new HashSet<string>(["q", "seq", "dur", "t", "time", "dev", "site", "m", "v", "fw", "boot", "measurement"], StringComparer.Ordinal);

    /// <summary>Largest `data` object of an event, as JSON text.</summary>
    public const int MaxEventDataBytes = 2048;

    [GeneratedRegex(Iot.Provisioning.DeviceId.Pattern)]
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

    /// <summary>The device id and message kind of a topic `iot/v1/{id}/{kind}`, or false.</summary>
    public static bool TryParseTopic(string topic, out string device, out string kind)
    {
        device = kind = "";
        if (!topic.StartsWith(TopicRoot + "/", StringComparison.Ordinal)) return false;
        var rest = topic.AsSpan(TopicRoot.Length + 1);
        var slash = rest.IndexOf('/');
        if (slash <= 0) return false;
        device = rest[..slash].ToString();
        kind = rest[(slash + 1)..].ToString();
        return kind.Length > 0;
    }

    public static string Topic(string device, string kind) => $"{TopicRoot}/{device}/{kind}";
}
