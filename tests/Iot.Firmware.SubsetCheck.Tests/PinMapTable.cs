using System.Text.RegularExpressions;

namespace Iot.Firmware.SubsetCheck.Tests;

/// <summary>
/// Reads the ESP32 pin assignments from firmware/Gateway.Esp32/PinMap.cs and from the table in
/// hardware/pin-map.md, and lists where they disagree, so the document cannot drift from the code.
/// </summary>
public static partial class PinMapTable
{
    /// <summary>Marks the start of the checked table in the document.</summary>
    public const string BeginMarker = "<!-- pin-map:begin -->";
    /// <summary>Marks its end.</summary>
    public const string EndMarker = "<!-- pin-map:end -->";

    /// <summary>Every <c>public const int|string Name = value;</c> of the source, by name.</summary>
    public static Dictionary<string, string> FromSource(string csharp)
    {
        var pins = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in ConstantPattern().Matches(csharp))
        {
            pins[m.Groups["name"].Value] = m.Groups["value"].Value.Trim().Trim('"');
        }
        return pins;
    }

    /// <summary>Rows <c>| `Name` | value | ...</c> between the markers, by name; throws when the markers are missing.</summary>
    public static Dictionary<string, string> FromDocument(string markdown)
    {
        int begin = markdown.IndexOf(BeginMarker, StringComparison.Ordinal);
        int end = markdown.IndexOf(EndMarker, StringComparison.Ordinal);
        if (begin < 0 || end < begin) throw new FormatException($"the pin table must sit between {BeginMarker} and {EndMarker}");
        var pins = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in markdown[begin..end].Split('\n'))
        {
            var m = RowPattern().Match(line);
            if (!m.Success) continue;
            string name = m.Groups["name"].Value;
            if (!pins.TryAdd(name, m.Groups["value"].Value.Trim().Trim('`')))
                throw new FormatException($"{name} appears twice in the pin table");
        }
        return pins;
    }

    /// <summary>Human-readable differences; empty when the two agree exactly.</summary>
    public static List<string> Differences(IReadOnlyDictionary<string, string> source, IReadOnlyDictionary<string, string> document)
    {
        var diffs = new List<string>();
        foreach (var (name, value) in source.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!document.TryGetValue(name, out var documented)) diffs.Add($"{name} = {value} in PinMap.cs is missing from the document");
            else if (documented != value) diffs.Add($"{name} is {value} in PinMap.cs but {documented} in the document");
        }
        foreach (var name in document.Keys.Where(k => !source.ContainsKey(k)).Order(StringComparer.Ordinal))
            diffs.Add($"{name} is in the document but not in PinMap.cs");
        return diffs;
    }

    [GeneratedRegex(@"public\s+const\s+(int|string)\s+(?<name>[A-Za-z_]\w*)\s*=\s*(?<value>[^;]+);")]
    private static partial Regex ConstantPattern();

    [GeneratedRegex(@"^\|\s*`(?<name>[A-Za-z_]\w*)`\s*\|\s*(?<value>[^|]+?)\s*\|")]
    private static partial Regex RowPattern();
}
