using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Iot.Firmware.SubsetCheck.Tests;

/// <summary>
/// The ESP32 app and its Loader use one consistent nanoFramework package set: the pinned round of
/// firmware/Gateway.Esp32/package-rounds.tsv, in packages.config and in the .nfproj references alike, and the
/// stand-ins the checks compile against carry that round's assembly versions.
/// </summary>
public partial class PackageRoundTests
{
    /// <summary>One row of package-rounds.tsv: an assembly a package ships, in one round.</summary>
    public sealed record RoundRow(string Round, string Status, string SamplesCommit, string Package, string Version, string Assembly, string AssemblyVersion, string SourcePath);

    private static string Setting(string key) =>
        typeof(PackageRoundTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    private static string Esp32Dir => Path.Combine(Setting("RepositoryRoot"), "firmware", "Gateway.Esp32");

    public static readonly TheoryData<string> Apps = new() { "Gateway.Esp32.nfproj", Path.Combine("Loader", "Gateway.Esp32.Loader.nfproj") };

    private static List<RoundRow> ReadRounds()
    {
        var lines = File.ReadAllLines(Path.Combine(Esp32Dir, "package-rounds.tsv")).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.Equal("round\tstatus\tsamples_commit\tpackage\tversion\tassembly\tassembly_version\tsource_path", lines[0]);
        return lines.Skip(1).Select(l => l.Split('\t')).Select(f =>
        {
            Assert.Equal(8, f.Length);
            return new RoundRow(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]);
        }).ToList();
    }

    private static List<RoundRow> Pinned() => ReadRounds().Where(r => r.Status == "pinned").ToList();

    [Fact]
    public void Rounds_are_consistent_and_name_their_source()
    {
        var rows = ReadRounds();
        Assert.Single(rows.Select(r => r.Round).Where((_, i) => rows[i].Status == "pinned").Distinct());
        Assert.True(rows.Select(r => r.Round).Distinct().Count() >= 2, "the pinned round and at least one earlier one");
        foreach (var round in rows.GroupBy(r => r.Round))
        {
            Assert.Single(round.Select(r => r.SamplesCommit).Distinct());
            Assert.Single(round.Select(r => r.Status).Distinct());
            Assert.Contains(round, r => r.Package == "nanoFramework.CoreLibrary" && r.Version == "1.17.11");
            foreach (var package in round.GroupBy(r => r.Package)) Assert.Single(package.Select(r => r.Version).Distinct());
            Assert.Equal(round.Count(), round.Select(r => r.Assembly).Distinct().Count());
        }
        foreach (var r in rows)
        {
            Assert.Matches("^[0-9a-f]{40}$", r.SamplesCommit);
            Assert.Matches(@"^samples/.+\.nfproj$", r.SourcePath);
            Assert.StartsWith(r.Version + ".", r.AssemblyVersion);
        }
    }

    [Theory]
    [MemberData(nameof(Apps))]
    public void Packages_config_and_nfproj_use_the_pinned_round(string nfproj)
    {
        var pinned = Pinned();
        var projectPath = Path.Combine(Esp32Dir, nfproj);
        var dir = Path.GetDirectoryName(projectPath)!;

        var packages = XDocument.Load(Path.Combine(dir, "packages.config")).Root!.Elements("package")
            .ToDictionary(p => (string)p.Attribute("id")!, p => (string)p.Attribute("version")!);
        Assert.NotEmpty(packages);
        foreach (var (id, version) in packages)
            Assert.True(pinned.Any(r => r.Package == id && r.Version == version), $"{nfproj}: packages.config has {id} {version}, not in the pinned round");

        XNamespace ns = "http://schemas.microsoft.com/developer/msbuild/2003";
        var referenced = new HashSet<string>();
        foreach (var reference in XDocument.Load(projectPath).Descendants(ns + "Reference"))
        {
            var include = ReferenceInclude().Match((string)reference.Attribute("Include")!);
            Assert.True(include.Success, $"{nfproj}: reference without a Version=: {reference.Attribute("Include")}");
            var (assembly, assemblyVersion) = (include.Groups[1].Value, include.Groups[2].Value);
            var hint = HintPath().Match((string?)reference.Element(ns + "HintPath") ?? "");
            Assert.True(hint.Success, $"{nfproj}: {assembly} has no packages\\<id>.<version>\\lib\\ HintPath");
            var (package, version, file) = (hint.Groups[1].Value, hint.Groups[2].Value, hint.Groups[3].Value);

            Assert.Equal(assembly + ".dll", file);
            Assert.True(packages.TryGetValue(package, out var listed) && listed == version, $"{nfproj}: {assembly} comes from {package} {version}, which packages.config does not list");
            var row = pinned.SingleOrDefault(r => r.Package == package && r.Assembly == assembly);
            Assert.True(row is not null, $"{nfproj}: the pinned round has no assembly {assembly} in {package}");
            Assert.Equal(row.AssemblyVersion, assemblyVersion);
            referenced.Add(package);
        }
        Assert.Equal(packages.Keys.Order(), referenced.Order());
    }

    [Fact]
    public void Stand_ins_carry_the_pinned_assembly_versions()
    {
        var pinned = Pinned();
        var outputDir = Path.GetDirectoryName(Setting("Esp32SubsetAssembly"))!;
        var assemblies = Directory.GetFiles(outputDir, "*.dll").Where(f => Path.GetFileName(f) != "Iot.Firmware.Esp32.SubsetCheck.dll").ToList();
        Assert.Contains(assemblies, f => Path.GetFileName(f) == "mscorlib.dll");
        Assert.True(assemblies.Count > 10, $"build tests/Iot.Firmware.Esp32.SubsetCheck first: {outputDir}");
        foreach (var file in assemblies)
        {
            var name = AssemblyName.GetAssemblyName(file);
            var row = pinned.SingleOrDefault(r => r.Assembly == name.Name);
            Assert.True(row is not null, $"{name.Name} is not an assembly of the pinned round");
            Assert.Equal(row.AssemblyVersion, name.Version!.ToString());
        }
    }

    [GeneratedRegex(@"^([\w.]+), Version=([\d.]+), Culture=neutral, PublicKeyToken=c07d481e9758c731$")]
    private static partial Regex ReferenceInclude();

    [GeneratedRegex(@"^(?:\.\.\\)*packages\\([A-Za-z][\w.]*?)\.(\d+\.\d+\.\d+)\\lib\\([\w.]+)$")]
    private static partial Regex HintPath();
}
