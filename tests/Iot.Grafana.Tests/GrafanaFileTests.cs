using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Iot.Contract;
using Iot.Fleet.Rules;
using Iot.Gateway.Telemetry;
using Xunit;
using FleetInfluxOptions = Iot.Fleet.Storage.InfluxOptions;

namespace Iot.Grafana.Tests;

/// <summary>The provisioning files and dashboards as files: they parse, every panel queries the provisioned data
/// source, and the numbers in them are the ones the fleet's rules and the wire protocol define.</summary>
public sealed partial class GrafanaFileTests
{
    private static readonly string[] PanelTypes = ["timeseries", "table", "stat", "bargauge"];

    [Fact]
    public void The_datasource_provisioning_parses_and_points_at_the_fleets_database()
    {
        var ds = GrafanaFiles.Datasource();
        Assert.Equal("influxdb", ds.Type);
        Assert.Equal("InfluxQL", ds.Version);
        Assert.Equal(new FleetInfluxOptions().Database, ds.Database);
        Assert.False(string.IsNullOrEmpty(ds.Uid));
        Assert.Contains("${INFLUX_URL}", ds.Url, StringComparison.Ordinal);
        Assert.Equal("http://127.0.0.1:8086", GrafanaFiles.ExpandEnvironment(ds.Url, new Dictionary<string, string> { ["INFLUX_URL"] = "http://127.0.0.1:8086" }));
        Assert.Equal(TimeSpan.FromMinutes(1), GrafanaMacros.ParseDuration(ds.TimeInterval));
        Assert.Equal("1", GrafanaFiles.Scalar(GrafanaFiles.Yaml(GrafanaFiles.DatasourceFile), "apiVersion"));
    }

    [Fact]
    public void The_dashboard_provisioning_parses_and_loads_the_dashboards_folder()
    {
        var root = GrafanaFiles.Yaml(GrafanaFiles.DashboardProviderFile);
        Assert.Equal("1", GrafanaFiles.Scalar(root, "apiVersion"));
        var provider = (YamlDotNet.RepresentationModel.YamlMappingNode)((YamlDotNet.RepresentationModel.YamlSequenceNode)root["providers"]).Children.Single();
        Assert.Equal("file", GrafanaFiles.Scalar(provider, "type"));
        var path = GrafanaFiles.Scalar((YamlDotNet.RepresentationModel.YamlMappingNode)provider["options"], "path");
        var expanded = GrafanaFiles.ExpandEnvironment(path, new Dictionary<string, string> { ["IOT_DASHBOARDS"] = GrafanaFiles.DashboardFolder });
        Assert.Equal(["city-overview.json", "fleet-health.json", "site.json"], Directory.GetFiles(expanded, "*.json").Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Every_panel_has_a_query_on_the_provisioned_datasource()
    {
        var uid = GrafanaFiles.Datasource().Uid;
        var uids = new HashSet<string>();
        foreach (var file in GrafanaFiles.DashboardFiles)
        {
            var dashboard = GrafanaFiles.Dashboard(file);
            Assert.True(uids.Add((string)dashboard["uid"]!), $"{file}: dashboard uid used twice");
            Assert.Equal(39, (int)dashboard["schemaVersion"]!);
            Assert.Null(dashboard["id"]?.GetValue<int?>());
            var ids = new HashSet<int>();
            foreach (var node in dashboard["panels"]!.AsArray()) Assert.True(ids.Add((int)node!["id"]!), $"{file}: panel id {node["id"]} used twice");
            foreach (var panel in GrafanaFiles.Panels(dashboard))
            {
                var name = $"{file} / {panel["title"]}";
                Assert.Contains((string)panel["type"]!, PanelTypes);
                Assert.Equal(uid, (string?)panel["datasource"]?["uid"]);
                var targets = GrafanaFiles.Targets(panel).ToList();
                Assert.True(targets.Count > 0, $"{name}: no query");
                Assert.Equal(targets.Count, targets.Select(t => (string?)t["refId"]).Distinct().Count());
                foreach (var target in targets)
                {
                    Assert.True(((string?)target["query"])?.Trim().Length > 0, $"{name} / {target["refId"]}: empty query");
                    Assert.True((bool?)target["rawQuery"] == true, $"{name} / {target["refId"]}: not a raw InfluxQL query");
                    Assert.True(uid == (string?)target["datasource"]?["uid"], $"{name} / {target["refId"]}: data source {target["datasource"]?["uid"]}, provisioned {uid}");
                }
            }
            foreach (var variable in dashboard["templating"]!["list"]!.AsArray())
                Assert.Equal(uid, (string?)variable!["datasource"]?["uid"]);
        }
    }

    [Fact]
    public void Queries_over_the_time_range_use_the_time_filter()
    {
        foreach (var t in GrafanaFiles.AllTargets())
        {
            // Either Grafana's range or a fixed rule window ending now.
            Assert.True(t.Query.Contains("$timeFilter", StringComparison.Ordinal) || t.Query.Contains("time > now() - ", StringComparison.Ordinal), $"{t}: no time condition");
            if (t.Query.Contains("GROUP BY time(", StringComparison.Ordinal))
                Assert.True(t.Query.Contains("$__interval", StringComparison.Ordinal) || t.Query.Contains("time(1m)", StringComparison.Ordinal), $"{t}: groups by a fixed interval other than the record's minute");
        }
        Assert.Contains(GrafanaFiles.AllTargets(), t => t.Query.Contains("/^$site$/", StringComparison.Ordinal));
    }

    /// <summary>The limit lines and breach counts are the default rule profile's limits (rules.md).</summary>
    [Fact]
    public void Limits_are_the_default_rule_profile()
    {
        var p = RuleProfile.Default;
        var site = GrafanaFiles.Dashboard("site.json");
        Assert.Equal([p.LimitOf("noise.night_leq"), p.LimitOf("noise.day_leq")], Thresholds(site, "LAeq"));
        Assert.Equal([p.LimitOf("noise.night_lmax")], Thresholds(site, "LAFmax"));
        Assert.Equal([p.LimitOf("fume.concentration")], Thresholds(site, "Fume concentration"));
        Assert.Equal([RuleLimits.RunningShare], Thresholds(site, "Fan and purifier running"));
        Assert.Equal([p.LimitOf("dust.pm10")], Thresholds(site, "PM10"));

        var city = GrafanaFiles.Dashboard("city-overview.json");
        Assert.Equal([p.LimitOf("fume.concentration")], Thresholds(city, "Top sites by fume"));
        Assert.Equal([p.LimitOf("noise.night_leq"), p.LimitOf("noise.day_leq")], Thresholds(city, "Top sites by noise"));
        Assert.Equal([p.LimitOf("dust.pm10")], Thresholds(city, "Top sites by dust"));
        var breaching = GrafanaFiles.Targets(GrafanaFiles.Panel(city, "Breaching sites now")).ToDictionary(t => (string)t["refId"]!, t => (string)t["query"]!);
        Assert.Equal(p.LimitOf("fume.concentration"), LimitIn(breaching["A"]));
        Assert.Equal(p.LimitOf("noise.day_leq"), LimitIn(breaching["B"]));
        Assert.Equal(p.LimitOf("noise.night_leq"), LimitIn(breaching["C"]));
        Assert.Equal(p.LimitOf("dust.pm10"), LimitIn(breaching["D"]));
    }

    /// <summary>Every "q" &amp; mask is a quality bit of the wire protocol, and "evidence" means none of NotEvidence.</summary>
    [Fact]
    public void Quality_masks_are_the_wire_protocol_bits()
    {
        int[] bits = [QualityBits.ClockUnsynced, QualityBits.SensorFault, QualityBits.WarmUp, QualityBits.Maintenance, QualityBits.Tamper,
            QualityBits.Backfill, QualityBits.PowerInterruption];
        var masks = 0;
        foreach (var t in GrafanaFiles.AllTargets())
        {
            foreach (Match m in QualityMask().Matches(t.Query))
            {
                var mask = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                Assert.True(mask == QualityBits.NotEvidence || bits.Contains(mask), $"{t}: q & {mask} is not a quality bit");
                if (m.Groups[2].Success) Assert.True(mask == QualityBits.NotEvidence, $"{t}: evidence is q & {QualityBits.NotEvidence} = 0");
                masks++;
            }
        }
        Assert.True(masks > 10);
    }

    private static double[] Thresholds(JsonObject dashboard, string panel) =>
        GrafanaFiles.Panel(dashboard, panel)["fieldConfig"]!["defaults"]!["thresholds"]!["steps"]!.AsArray()
            .Where(s => s!["value"] is not null).Select(s => (double)s!["value"]!).ToArray();

    private static double LimitIn(string query) =>
        double.Parse(TrailingComparison().Match(query).Groups[1].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"""q""\s*&\s*(\d+)\)?(\s*=\s*0\b)?")]
    private static partial Regex QualityMask();

    [GeneratedRegex(@">\s*([\d.]+)\s*$")]
    private static partial Regex TrailingComparison();
}
