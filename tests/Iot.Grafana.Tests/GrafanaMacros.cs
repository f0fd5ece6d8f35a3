using System.Globalization;
using System.Text.RegularExpressions;

namespace Iot.Grafana.Tests;

/// <summary>What Grafana fills into a raw InfluxQL query before it sends it: the time range, the interval and the
/// dashboard's template variables.</summary>
internal sealed record QueryContext(DateTimeOffset From, DateTimeOffset To, TimeSpan Interval, IReadOnlyDictionary<string, string> Variables);

/// <summary>Expands Grafana's macros in InfluxQL the way its InfluxDB data source does.</summary>
internal static partial class GrafanaMacros
{
    public static string Expand(string query, QueryContext context)
    {
        var from = context.From.ToUnixTimeMilliseconds();
        var to = context.To.ToUnixTimeMilliseconds();
        // Grafana's InfluxQL backend renders $timeFilter as an absolute range in epoch milliseconds.
        var text = query
            .Replace("$timeFilter", $"time > {from}ms and time < {to}ms", StringComparison.Ordinal)
            .Replace("$__interval_ms", ((long)context.Interval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("$__interval", Duration(context.Interval), StringComparison.Ordinal)
            .Replace("$interval", Duration(context.Interval), StringComparison.Ordinal)
            .Replace("$__from", from.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("$__to", to.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        // Inside a regex literal (=~ /^$site$/) a value is regex-escaped, elsewhere it goes in as it is.
        text = RegexLiteral().Replace(text, m => m.Groups[1].Value + Variables(m.Groups[2].Value, context.Variables, Regex.Escape) + "/");
        text = Variables(text, context.Variables, v => v);
        if (Leftover().Match(text) is { Success: true } left)
            throw new InvalidOperationException($"no value for {left.Value} in: {query}");
        return text;
    }

    /// <summary>Grafana's interval for a time range: range / max data points, at least the data source's minimum,
    /// rounded up to a whole step.</summary>
    public static TimeSpan Interval(TimeSpan range, TimeSpan minimum, int maxDataPoints = 1000)
    {
        TimeSpan[] steps = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1),
            TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1),
            TimeSpan.FromHours(3), TimeSpan.FromHours(12), TimeSpan.FromDays(1)];
        var raw = TimeSpan.FromTicks(Math.Max(range.Ticks / maxDataPoints, minimum.Ticks));
        return steps.FirstOrDefault(s => s >= raw, steps[^1]);
    }

    /// <summary>"now-6h", "now-30m", "now-2d", "now" relative to now.</summary>
    public static DateTimeOffset Relative(string expression, DateTimeOffset now)
    {
        if (expression == "now") return now;
        var m = RelativeTime().Match(expression);
        if (!m.Success) throw new FormatException($"time '{expression}' is not now-<n><s|m|h|d>");
        return now - ParseDuration(m.Groups[1].Value);
    }

    /// <summary>"30s", "1m", "6h", "2d".</summary>
    public static TimeSpan ParseDuration(string text)
    {
        var n = long.Parse(text[..^1], CultureInfo.InvariantCulture);
        return text[^1] switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            _ => throw new FormatException($"duration '{text}'"),
        };
    }

    private static string Duration(TimeSpan t) =>
        t.TotalDays >= 1 && t.TotalDays % 1 == 0 ? $"{t.TotalDays:0}d"
        : t.TotalHours >= 1 && t.TotalHours % 1 == 0 ? $"{t.TotalHours:0}h"
        : t.TotalMinutes >= 1 && t.TotalMinutes % 1 == 0 ? $"{t.TotalMinutes:0}m"
        : $"{t.TotalSeconds:0}s";

    private static string Variables(string text, IReadOnlyDictionary<string, string> variables, Func<string, string> format)
    {
        foreach (var (name, value) in variables.OrderByDescending(v => v.Key.Length))
        {
            text = text.Replace("${" + name + "}", format(value), StringComparison.Ordinal)
                .Replace("[[" + name + "]]", format(value), StringComparison.Ordinal)
                .Replace("$" + name, format(value), StringComparison.Ordinal);
        }
        return text;
    }

    [GeneratedRegex(@"(=~\s*/|!~\s*/)((?:[^/\\]|\\.)*)/")]
    private static partial Regex RegexLiteral();

    // A Grafana variable left over; "$/" and "$'" (a regex anchor) are InfluxQL's own.
    [GeneratedRegex(@"\$(?:\{\w+\}|\w+)|\[\[\w+\]\]")]
    private static partial Regex Leftover();

    [GeneratedRegex(@"^now-(\d+[smhd])$")]
    private static partial Regex RelativeTime();
}
