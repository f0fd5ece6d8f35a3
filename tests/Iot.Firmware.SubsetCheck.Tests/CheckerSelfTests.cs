namespace Iot.Firmware.SubsetCheck.Tests;

/// <summary>Proof that the checks catch what they claim to: each one is fed a violation.</summary>
public class CheckerSelfTests
{
    [Theory]
    [InlineData("async/await", "public async void Run() { }")]
    [InlineData("async/await", "        await Task.Delay(1);")]
    [InlineData("record type", "public record Reading(double Value);")]
    [InlineData("record type", "internal sealed record class Reading { }")]
    [InlineData("record type", "public record struct Reading(double Value);")]
    [InlineData("LINQ", "using System.Linq;")]
    [InlineData("LINQ", "var q = from r in readings where r > 1 select r;")]
    [InlineData("tuple type", "public (int a, int b) Split(int v) { return default; }")]
    [InlineData("tuple type", "    ValueTuple x;")]
    [InlineData("tuple literal or deconstruction", "        var (a, b) = Split(3);")]
    [InlineData("tuple literal or deconstruction", "        return (lo, hi);")]
    [InlineData("tuple literal or deconstruction", "        (a, b) = (b, a);")]
    [InlineData("multidimensional array", "    private readonly int[,] _grid;")]
    [InlineData("multidimensional array", "        _grid = new int[3, 4];")]
    [InlineData("Enum reflection", "        var all = Enum.GetValues(typeof(ModbusStatus));")]
    [InlineData("Enum reflection", "        Enum.Parse(typeof(X), \"A\");")]
    [InlineData("stackalloc", "        byte* p = stackalloc byte[16];")]
    [InlineData("Span/Memory", "        ReadOnlySpan<byte> frame = buffer;")]
    [InlineData("Span/Memory", "        Span<byte> frame = buffer;")]
    [InlineData("generic collection or delegate", "    private readonly List<int> _values = new List<int>();")]
    [InlineData("generic collection or delegate", "    Func<int, int> f;")]
    [InlineData("nullable value type", "    public int? Level;")]
    [InlineData("nullable value type", "    double? Read(int c) { return null; }")]
    [InlineData("string interpolation", "        var s = $\"{a} dB\";")]
    [InlineData("custom numeric format string", "        var s = value.ToString(\"0.00\");")]
    [InlineData("custom numeric format string", "        var s = value.ToString(\"#,##0\");")]
    [InlineData("custom numeric format string", "        var s = string.Format(\"{0:0.0} dB\", value);")]
    [InlineData("foreach over a string", "        foreach (char c in name) { }")]
    [InlineData("foreach over a string", "        foreach (var c in \"abc\") { }")]
    [InlineData("foreach over a string", "        foreach (var c in name.ToCharArray()) { }")]
    [InlineData(BannedConstructScanner.ReflectionRule, "using System.Reflection;")]
    [InlineData(BannedConstructScanner.ReflectionRule, "        var t = Assembly.Load(image).GetType(\"X\");")]
    [InlineData(BannedConstructScanner.ReflectionRule, "        var m = typeof(Program).GetMethod(\"Main\");")]
    [InlineData(BannedConstructScanner.ReflectionRule, "        m.Invoke(null, null);")]
    public void Scanner_reports_each_banned_construct_with_file_and_line(string rule, string line)
    {
        var source = "namespace X\n{\n" + line + "\n}\n";

        var findings = BannedConstructScanner.Scan("Probe.cs", source);

        Assert.Contains(findings, f => f.Rule == rule && f.Line == 3 && f.File == "Probe.cs");
    }

    [Fact]
    public void Scanner_ignores_comments_strings_and_lookalikes()
    {
        const string source = """
            // async and await in a comment; List<int> too; value.ToString("0.00")
            /* record Foo(int a); stackalloc */
            namespace X
            {
                public sealed class Clean
                {
                    private readonly MinuteRecord record = new MinuteRecord();
                    private readonly byte[] _frame = new byte[] { 1, 2, 3 };
                    public string A(double v) { return v.ToString("F2") + v.ToString("N0") + "await async record"; }
                    public string B() { return "ToString(\"0.00\") {0:0.0}"; }
                    public int C(int a, int b) { return Max(a, b) > 0 && a < b ? a : b; }
                    public bool D() { return record.Has(1) && _frame[0] == 1; }
                }
            }
            """;

        var findings = BannedConstructScanner.Scan("Clean.cs", source);

        Assert.DoesNotContain(findings, f => f.Rule != "custom numeric format string");
        // A format-looking text inside an ordinary string literal is reported: the rule errs towards reporting.
        Assert.All(findings, f => Assert.Equal(10, f.Line));
    }

    [Fact]
    public void Scanner_allows_reflection_only_in_reflection_builds()
    {
        var root = Directory.CreateTempSubdirectory().FullName;
        try
        {
            const string source = "using System.Reflection;\nnamespace X { }\n";
            Directory.CreateDirectory(Path.Combine(root, "Loader"));
            File.WriteAllText(Path.Combine(root, "Loader", "BootLoader.cs"), source);
            File.WriteAllText(Path.Combine(root, "Program.cs"), source);

            var findings = BannedConstructScanner.ScanTree(root);

            Assert.Equal("Program.cs", Assert.Single(findings).File);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void Inspector_reports_enum_values_turned_into_text_by_name()
    {
        var findings = EnumNameInspector.Inspect(typeof(CheckerSelfTests).Assembly.Location);

        Assert.Contains(findings, f => f.Contains("EnumCanary.Named") && f.Contains("ToString"));
        Assert.Contains(findings, f => f.Contains("EnumCanary.Concatenated"));
        Assert.Contains(findings, f => f.Contains("EnumCanary.Formatted"));
        Assert.DoesNotContain(findings, f => f.Contains("EnumCanary.Numbered"));
    }

    [Fact]
    public void Inspector_reports_generic_definitions_and_instantiations()
    {
        // This test assembly is full of generics (xUnit, LINQ, the canaries below); the inspector must see them.
        var findings = GenericUsageInspector.Inspect(typeof(CheckerSelfTests).Assembly.Location);

        Assert.Contains(findings, f => f.Contains("generic type definition") && f.Contains("GenericCanary"));
        Assert.Contains(findings, f => f.Contains("generic method definition") && f.Contains("Canary"));
        Assert.Contains(findings, f => f.Contains("System.Collections.Generic.List`1<Int32>"));
        Assert.Contains(findings, f => f.Contains("MethodSpec"));
    }
}

internal sealed class GenericCanary<T>
{
    internal static readonly List<int> Values = [];

    internal static T Canary<TResult>(T value) => value;

    internal static int Use() => GenericCanary<string>.Canary<int>("x").Length + Values.Count;
}

internal enum CanaryState { Idle, Busy }

internal static class EnumCanary
{
    internal static string Named(CanaryState s) => s.ToString();

    internal static string Concatenated(CanaryState s) => "state " + s;

    internal static string Formatted(CanaryState s) => string.Format("state {0}", s);

    internal static string Numbered(CanaryState s) => "state " + ((int)s).ToString();
}
