using System.Reflection;

namespace Iot.Firmware.SubsetCheck.Tests;

/// <summary>The pin table in hardware/pin-map.md says exactly what firmware/Gateway.Esp32/PinMap.cs says.</summary>
public class PinMapDocumentTests
{
    private static string Repo(string relative) =>
        Path.Combine(typeof(PinMapDocumentTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!, relative);

    private static readonly string SourcePath = Repo("firmware/Gateway.Esp32/PinMap.cs");
    private static readonly string DocumentPath = Repo("hardware/pin-map.md");

    [Fact]
    public void Document_pin_table_matches_PinMap_cs()
    {
        var source = PinMapTable.FromSource(File.ReadAllText(SourcePath));
        var document = PinMapTable.FromDocument(File.ReadAllText(DocumentPath));

        var diffs = PinMapTable.Differences(source, document);

        Assert.True(diffs.Count == 0, "hardware/pin-map.md and PinMap.cs disagree:\n" + string.Join("\n", diffs));
        Assert.True(source.Count >= 8, "the parser must actually see PinMap.cs's constants");
    }

    [Fact]
    public void A_changed_pin_in_the_document_is_reported()
    {
        var source = PinMapTable.FromSource(File.ReadAllText(SourcePath));
        string tampered = ReplaceValue(File.ReadAllText(DocumentPath), "Rs485Tx", source["Rs485Tx"], "99");

        var diffs = PinMapTable.Differences(source, PinMapTable.FromDocument(tampered));

        Assert.Equal([$"Rs485Tx is {source["Rs485Tx"]} in PinMap.cs but 99 in the document"], diffs);
    }

    [Fact]
    public void A_changed_pin_in_the_source_is_reported()
    {
        string source = File.ReadAllText(SourcePath).Replace("TamperSwitch = 27;", "TamperSwitch = 26;", StringComparison.Ordinal);
        var document = PinMapTable.FromDocument(File.ReadAllText(DocumentPath));

        var diffs = PinMapTable.Differences(PinMapTable.FromSource(source), document);

        Assert.Equal(["TamperSwitch is 26 in PinMap.cs but 27 in the document"], diffs);
    }

    [Fact]
    public void Missing_and_extra_rows_are_reported()
    {
        var source = PinMapTable.FromSource("public const int A = 1; public const string Port = \"COM2\"; public const int B = 2;");
        var document = PinMapTable.FromDocument($"""
            {PinMapTable.BeginMarker}
            | constant | value | pin |
            |---|---|---|
            | `A` | 1 | GPIO1 |
            | `Port` | `COM2` | UART2 |
            | `C` | 3 | GPIO3 |
            {PinMapTable.EndMarker}
            """);

        var diffs = PinMapTable.Differences(source, document);

        Assert.Equal(["B = 2 in PinMap.cs is missing from the document", "C is in the document but not in PinMap.cs"], diffs);
    }

    [Fact]
    public void A_document_without_the_markers_is_rejected()
    {
        Assert.Throws<FormatException>(() => PinMapTable.FromDocument("| `A` | 1 | GPIO1 |"));
    }

    private static string ReplaceValue(string markdown, string name, string oldValue, string newValue)
    {
        string before = $"| `{name}` | {oldValue} |";
        Assert.Contains(before, markdown);
        return markdown.Replace(before, $"| `{name}` | {newValue} |", StringComparison.Ordinal);
    }
}
