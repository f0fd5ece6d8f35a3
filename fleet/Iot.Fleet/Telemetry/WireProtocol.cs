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

    [GeneratedRegex(Iot.Provisioning.DeviceId.Pattern)]
    public static partial Regex DeviceId();

    [GeneratedRegex("^[a-z][a-z0-9_]{0,31}$")]
    public static partial Regex ChannelName();

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
