using System.Xml.Linq;
using Iot.Stack;
using Xunit;

namespace Iot.Fleet.Tests.Architecture;

/// <summary>
/// The rooms at the top of the repository depend on each other one way: <c>contract/</c> on nothing, and firmware,
/// fleet and provisioning on the contract, never on each other. Tests may use anything.
/// </summary>
public sealed class ProjectArrowsTests
{
    private static readonly string Root = RepositoryPaths.Root();

    /// <summary>The rooms each room's projects may reference (besides their own room).</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["contract"] = [],
        ["firmware"] = ["contract"],
        ["fleet"] = ["contract"],
        ["provisioning"] = ["contract"],
    };

    [Fact]
    public void Contract_firmware_fleet_and_provisioning_reference_only_the_contract()
    {
        var wrong = new List<string>();
        foreach (var (project, room, references) in Projects())
        {
            if (!Allowed.TryGetValue(room, out var allowed)) continue;
            foreach (var (target, kind) in references)
            {
                var targetRoom = RoomOf(target);
                if (targetRoom != room && !allowed.Contains(targetRoom))
                    wrong.Add($"{Path.GetRelativePath(Root, project)} {kind} {Path.GetRelativePath(Root, target)}");
            }
        }
        Assert.Empty(wrong);
    }

    [Fact]
    public void Sees_the_references_that_exist()
    {
        var fleet = Projects().Single(p => p.Project.EndsWith("Iot.Fleet.csproj", StringComparison.Ordinal));
        Assert.Contains(fleet.References, r => r.Target.EndsWith("Iot.Contract.csproj", StringComparison.Ordinal));
    }

    /// <summary>Every project with its room and what it takes from other projects: references and linked sources.</summary>
    private static IEnumerable<(string Project, string Room, List<(string Target, string Kind)> References)> Projects()
    {
        foreach (var file in Directory.EnumerateFiles(Root, "*.*proj", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") || file.Contains($"{Path.DirectorySeparatorChar}.")) continue;
            var directory = Path.GetDirectoryName(file)!;
            var references = XDocument.Load(file).Descendants()
                .Where(e => e.Name.LocalName is "ProjectReference" or "Compile" && e.Attribute("Include") is not null)
                .Select(e => (Target: Path.GetFullPath(Path.Combine(directory, e.Attribute("Include")!.Value.Replace('\\', '/').Split('*')[0])),
                    Kind: e.Name.LocalName == "Compile" ? "compiles" : "references"))
                .Where(r => r.Kind == "references" || !r.Target.StartsWith(directory, StringComparison.Ordinal))
                .ToList();
            yield return (file, RoomOf(file), references);
        }
    }

    private static string RoomOf(string path) => Path.GetRelativePath(Root, path).Split('/', '\\')[0];
}
