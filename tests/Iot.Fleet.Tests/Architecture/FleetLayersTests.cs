using Iot.Fleet.Telemetry;
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
}
