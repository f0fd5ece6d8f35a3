using System.Text.RegularExpressions;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Storage;

/// <summary>
/// How long InfluxDB keeps readings, set up by the fleet at every start, idempotently: minute readings in the database's
/// default policy `autogen` for <see cref="InfluxOptions.MinuteRetention"/> (2 years), hourly means in the policy
/// `hourly` for <see cref="InfluxOptions.HourlyRetention"/> (10 years), made by the continuous query `reading_hourly`.
/// The hourly points keep the minute points' measurement, tags and field names (each channel's mean, plus `records`,
/// the minutes behind the mean), so a chart over a longer range reads `"hourly"."reading"` with the same query.
/// The query runs every 6 hours over the last 4 days, so records a gateway backfills within its journal's 72 hours
/// reach the hourly means too.
/// </summary>
public static partial class InfluxRetention
{
    public const string HourlyPolicy = "hourly", MinutePolicy = "autogen", HourlyQuery = "reading_hourly";

    /// <summary>A duration InfluxQL takes for a retention policy: INF, or a number of hours, days or weeks.</summary>
    [GeneratedRegex("^(INF|[1-9][0-9]{0,5}[hdw])$")]
    public static partial Regex Duration();

    /// <summary>The statements, in order, each with the statements that make it hold when it failed because the thing
    /// already exists (with other settings).</summary>
    public static IReadOnlyList<(string Create, string[] WhenItExists)> Statements(InfluxOptions options)
    {
        var db = Quote(options.Database);
        var fields = string.Join(", ", Channels.All.Select(c => $"mean({Quote(c.Name)}) AS {Quote(c.Name)}")) + ", count(\"seq\") AS \"records\"";
        var query = $"CREATE CONTINUOUS QUERY {Quote(HourlyQuery)} ON {db} RESAMPLE EVERY 6h FOR 4d BEGIN SELECT {fields} " +
                    $"INTO {db}.{Quote(HourlyPolicy)}.{Quote(LineProtocol.Measurement)} FROM {db}.{Quote(MinutePolicy)}.{Quote(LineProtocol.Measurement)} " +
                    "GROUP BY time(1h), * END";
        return
        [
            ($"CREATE DATABASE {db}", []),
            ($"ALTER RETENTION POLICY {Quote(MinutePolicy)} ON {db} DURATION {options.MinuteRetention} DEFAULT", []),
            ($"CREATE RETENTION POLICY {Quote(HourlyPolicy)} ON {db} DURATION {options.HourlyRetention} REPLICATION 1",
                [$"ALTER RETENTION POLICY {Quote(HourlyPolicy)} ON {db} DURATION {options.HourlyRetention}"]),
            (query, [$"DROP CONTINUOUS QUERY {Quote(HourlyQuery)} ON {db}", query]),
        ];
    }

    private static string Quote(string name) => "\"" + name.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
