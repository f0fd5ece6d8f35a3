using Iot.Contract;
using Iot.Gateway.Configuration;
using Iot.Gateway.Telemetry;
using Iot.Gateway.Virtual.Simulation;

namespace Iot.VirtualGateway.Tests;

public class ScenarioTests
{
    [Fact]
    public void Reads_levels_spans_reboots_and_expands_counts()
    {
        var scenario = Scenario.Parse("""
            duration: 1h
            start: -25m
            devices:
              - id: NS-0001
                site: noise
                levels:
                  laeq: [{from: 00:00, value: 60}, {from: 00:10, for: 30m, value: 75}]
                outages: [{from: 5m, for: 90s}]
                reboots: [{at: 20m, clean: true}]
              - {id: "DS-{n}", count: 3, site: dust, levels: {pm10: 160}}
            """);

        Assert.Equal(3600, scenario.DurationSeconds);
        Assert.Equal(-1500, scenario.StartOffsetSeconds);
        Assert.Equal(["NS-0001", "DS-0001", "DS-0002", "DS-0003"], scenario.Devices.Select(d => d.Id));
        var noise = scenario.Devices[0];
        Assert.Equal(60, noise.LevelAt(Channel.Laeq, 599));
        Assert.Equal(75, noise.LevelAt(Channel.Laeq, 600));
        Assert.Equal(75, noise.LevelAt(Channel.Laeq, 2399));
        Assert.Equal(60, noise.LevelAt(Channel.Laeq, 2400)); // back to the level before the 30 minutes
        Assert.True(DeviceScenario.In(noise.Outages, 300));
        Assert.False(DeviceScenario.In(noise.Outages, 390));
        Assert.Equal(new Reboot(1200, 10, true), noise.Reboots.Single());
        Assert.Equal(SiteKind.Dust, scenario.Devices[3].Site);
        Assert.Equal(160, scenario.Devices[3].LevelAt(Channel.Pm10, 0));
    }

    [Theory]
    [InlineData("duration: 10m\ndevices:\n  - id: NS-0001\n    site: lake\n", 4, "unknown site 'lake'")]
    [InlineData("duration: 10m\ndevices:\n  - id: NS-0001\n    site: noise\n    levels: {pm10: 100}\n", 5, "not 'pm10'")]
    [InlineData("duration: 10m\ndevices:\n  - id: NS-0001\n    site: noise\n    outages: [{from: 5, for: 2m}]\n", 5, "'5' is not a time")]
    [InlineData("duration: 10m\ndevices:\n  - id: NS-0001\n    site: noise\n    colour: red\n", 5, "unknown key 'colour'")]
    [InlineData("duration: 10m\ndevices:\n  - id: ns-1\n    site: noise\n", 3, "does not match")]
    [InlineData("duration: 10m\ndevices:\n  - id: NS-0001\n  site: noise\n", 4, "")]
    [InlineData("devices:\n  - id: NS-0001\n    site: noise\n", 1, "'duration' is missing")]
    [InlineData("duration: 10m\ndevices:\n  - {id: \"NS-{n}\", count: 2, site: noise}\n  - {id: NS-0002, site: noise}\n", 4, "appears twice")]
    public void Rejects_bad_files_naming_the_line_and_the_reason(string yaml, int line, string reason)
    {
        var e = Assert.Throws<ScenarioException>(() => Scenario.Parse(yaml, "bad.yaml"));
        Assert.StartsWith($"bad.yaml:{line}: ", e.Message);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void The_shipped_scenarios_load()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Scenarios"), "*.yaml"))
        {
            var scenario = Scenario.Load(file);
            Assert.NotEmpty(scenario.Devices);
        }
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "Scenarios", "demo.yaml")));
    }
}
