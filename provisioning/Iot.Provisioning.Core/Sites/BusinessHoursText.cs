using System.Globalization;
using Iot.Contract.Http;

namespace Iot.Provisioning.Sites;

/// <summary>
/// Opening hours as an installer types them: <c>10:00-14:00;17:00-22:00</c> (local time; a span may
/// run past midnight, <c>18:00-02:00</c>). Spans are separated by ';', ',' or spaces.
/// </summary>
public static class BusinessHoursText
{
    public static List<HoursSpan>? Parse(string? text, out string error)
    {
        error = "";
        var spans = new List<HoursSpan>();
        foreach (var part in (text ?? "").Split([';', ',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-');
            if (dash < 0 || !IsTime(part[..dash]) || !IsTime(part[(dash + 1)..]))
            {
                error = $"'{part}' is not a span of hours like 10:00-22:00";
                return null;
            }
            if (part[..dash] == part[(dash + 1)..])
            {
                error = $"'{part}' starts and ends at the same time";
                return null;
            }
            spans.Add(new HoursSpan(part[..dash], part[(dash + 1)..]));
        }
        return spans;
    }

    private static bool IsTime(string text) =>
        text.Length == 5 && TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
}
