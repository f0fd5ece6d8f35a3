using Iot.Fleet.Glossary;
using Xunit;

namespace Iot.Fleet.Tests.Glossary;

/// <summary>The bureau's words (Glossary/README.md): no page, server-side text or test uses a term the glossary marks as
/// replaced (BureauWords.Replaced), and the served table has none either.</summary>
public sealed class ReplacedTermsTests
{
    private static readonly string[] Texts = [".cs", ".js", ".html", ".md", ".json", ".yaml"];

    [Fact]
    public void No_page_server_text_or_test_uses_a_replaced_term()
    {
        var root = RepositoryRoot();
        var files = new[] { "fleet", "tests/Iot.Fleet.Tests", "tests/Iot.Browser.Tests" }
            .SelectMany(dir => Directory.EnumerateFiles(Path.Combine(root, dir), "*", SearchOption.AllDirectories))
            .Where(f => Texts.Contains(Path.GetExtension(f)) && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .ToList();
        var glossary = Path.Combine(root, "fleet", "Iot.Fleet", "Glossary");
        Assert.Contains(files, f => f.EndsWith(Path.Combine("wwwroot", "leads", "lead.js"), StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith(Path.Combine("Notices", "NoticePage.cs"), StringComparison.Ordinal));
        // The glossary itself names what it replaces; the scan would find those, so it proves it reads them.
        Assert.NotEmpty(Offences(files.Where(f => f.StartsWith(glossary, StringComparison.Ordinal))));

        var offences = Offences(files.Where(f => !f.StartsWith(glossary, StringComparison.Ordinal))).Select(o => o.Replace(root, "")).ToList();
        Assert.True(offences.Count == 0, "terms the glossary replaced:\n" + string.Join("\n", offences));
    }

    [Fact]
    public void The_served_words_use_no_replaced_term_and_name_the_loops_steps()
    {
        var script = BureauWords.Script();
        Assert.All(BureauWords.Replaced.Keys, old => Assert.DoesNotContain(old, script));
        Assert.All(BureauWords.Replaced.Values, use => Assert.DoesNotContain(use.Use, BureauWords.Replaced.Keys));
        foreach (var (step, word) in new[] { ("acknowledge", "立案"), ("dispatch", "派遣"), ("verify", "核查"), ("close", "结案"), ("feedback", "反馈"), ("deadline", "责令限期改正") })
            Assert.Equal(word, BureauWords.Zh($"step.{step}"));
        Assert.Equal("点位", BureauWords.Zh("site"));
    }

    private static IEnumerable<string> Offences(IEnumerable<string> files) =>
        from file in files
        from line in File.ReadLines(file).Select((text, i) => (text, number: i + 1))
        from old in BureauWords.Replaced.Keys
        where line.text.Contains(old, StringComparison.Ordinal)
        select $"{file}:{line.number}: {old} → {BureauWords.Replaced[old].Use}";

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Iot.sln"))) return dir.FullName;
        throw new InvalidOperationException("no Iot.sln above " + AppContext.BaseDirectory);
    }
}
