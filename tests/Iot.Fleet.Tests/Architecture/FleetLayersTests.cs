using System.Text.RegularExpressions;
using Iot.Fleet.Telemetry;
using Iot.Stack;
using Xunit;
using Xunit.Abstractions;

namespace Iot.Fleet.Tests.Architecture;

/// <summary>The fleet's rooms use each other in one direction, so each can be read, tested and changed from below.</summary>
public sealed class FleetLayersTests(ITestOutputHelper output)
{
    private static readonly NamespaceGraph Fleet = NamespaceGraph.Read(typeof(WireProtocol).Assembly.Location, "Iot.Fleet");

    /// <summary>The core, bottom up: each may use only the ones before it.</summary>
    private static readonly string[] Core = ["Telemetry", "Storage", "Rules", "Leads"];

    [Fact]
    public void The_core_runs_one_way_from_telemetry_to_leads()
    {
        var wrong = new List<string>();
        for (var i = 0; i < Core.Length; i++)
            foreach (var (used, example) in Fleet.Uses.GetValueOrDefault(Core[i]) ?? new Dictionary<string, string>())
                if (Array.IndexOf(Core, used) > i) wrong.Add($"{Core[i]} uses {used} ({example})");
        Assert.Empty(wrong);
    }

    [Fact]
    public void Reads_real_edges_not_look_alike_names()
    {
        // Leads judge on Rules and Rules on Telemetry: edges that must be found, or the reader sees nothing.
        Assert.Contains("Rules", Fleet.Uses["Leads"].Keys);
        Assert.Contains("Telemetry", Fleet.Uses["Rules"].Keys);
    }

    [Fact]
    public void No_two_namespaces_use_each_other()
    {
        var cycles = Fleet.Cycles();
        foreach (var cycle in cycles)
        {
            output.WriteLine(string.Join(", ", cycle));
            foreach (var a in cycle)
                foreach (var (b, example) in Fleet.Uses.GetValueOrDefault(a) ?? new Dictionary<string, string>())
                    if (cycle.Contains(b)) output.WriteLine($"  {a} -> {b}: {example}");
        }
        Assert.Empty(cycles);
    }

    [Fact]
    public void The_fleet_readme_lists_every_room_below_the_rooms_that_use_it()
    {
        // The README's table is the map a newcomer reads; it stays true because this test reads it.
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root(), "fleet", "Iot.Fleet", "README.md"));
        var order = Regex.Matches(readme, @"^\| `(\w+)/` \|", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        var wrong = new List<string>();
        foreach (var (room, uses) in Fleet.Uses)
        {
            if (room == "") continue; // the root composes everything
            if (!order.Contains(room)) { wrong.Add($"{room} is not in the README's table"); continue; }
            foreach (var (used, example) in uses)
                if (used != "" && order.IndexOf(used) > order.IndexOf(room))
                    wrong.Add($"{room} uses {used} ({example}) but is listed above it");
        }
        Assert.Empty(wrong);
    }
}
