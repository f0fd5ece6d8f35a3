using System.Globalization;
using System.Text;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Storage;

/// <summary>InfluxDB line protocol for readings: measurement `reading`, tags `dev` and `site`,
/// one float field per channel plus `q`, `seq` and `dur` as integers, timestamp = window start (s).</summary>
public static class LineProtocol
{
    public const string Measurement = "reading";

    /// <summary>Tag value for records of devices not bound to a site.</summary>
    public const string Unassigned = "unassigned";

    public static void Append(StringBuilder lines, TelemetryRecord record)
    {
        var site = record.Site;
        lines.Append(Measurement).Append(",dev=");
        Escape(lines, record.Device);
        lines.Append(",site=");
        Escape(lines, site ?? Unassigned);
        lines.Append(' ');
        foreach (var (channel, value) in record.Measurements)
        {
            Escape(lines, channel);
            lines.Append('=').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append(',');
        }
        lines.Append("q=").Append(record.Quality).Append("i,seq=").Append(record.Seq).Append("i,dur=").Append(record.Duration).Append('i');
        lines.Append(' ').Append(record.Time).Append('\n');
    }

    /// <summary>Escapes commas, spaces and equals signs in tag keys, tag values and field keys.</summary>
    private static void Escape(StringBuilder lines, string value)
    {
        foreach (var c in value)
        {
            if (c is ',' or ' ' or '=' or '\\') lines.Append('\\');
            lines.Append(c);
        }
    }
}
