using System.Text.Json.Nodes;
using Iot.Stack;
using YamlDotNet.RepresentationModel;

namespace Iot.Grafana.Tests;

/// <summary>The files under fleet/grafana as Grafana reads them: provisioning YAML and dashboard JSON.</summary>
internal static class GrafanaFiles
{
    public static string Folder => Path.Combine(RepositoryPaths.Root(), "fleet", "grafana");
    public static string DatasourceFile => Path.Combine(Folder, "provisioning", "datasources", "influxdb.yaml");
    public static string DashboardProviderFile => Path.Combine(Folder, "provisioning", "dashboards", "dashboards.yaml");
    public static string DashboardFolder => Path.Combine(Folder, "dashboards");

    public static IReadOnlyList<string> DashboardFiles =>
        Directory.GetFiles(DashboardFolder, "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!;

    /// <summary>The first document of a YAML file; throws YamlException when it does not parse.</summary>
    public static YamlMappingNode Yaml(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path)) stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    /// <summary>The one provisioned data source (the dashboards refer to its uid).</summary>
    public static ProvisionedDatasource Datasource()
    {
        var root = Yaml(DatasourceFile);
        var list = (YamlSequenceNode)root["datasources"];
        var ds = (YamlMappingNode)list.Children.Single();
        var json = (YamlMappingNode)ds["jsonData"];
        return new ProvisionedDatasource(
            Scalar(ds, "uid"), Scalar(ds, "type"), Scalar(ds, "url"), Scalar(json, "dbName"), Scalar(json, "version"), Scalar(json, "timeInterval"));
    }

    public static string Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlScalarNode { Value: { } value } ? value : "";

    /// <summary>Grafana's expansion of environment variables in provisioning files ($NAME, ${NAME}; no defaults).</summary>
    public static string ExpandEnvironment(string value, IReadOnlyDictionary<string, string> environment) =>
        System.Text.RegularExpressions.Regex.Replace(value, @"\$\{(\w+)\}|\$(\w+)", m =>
            environment.GetValueOrDefault(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value, ""));

    public static JsonObject Dashboard(string file) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(DashboardFolder, file)))!.AsObject();

    /// <summary>Every panel of a dashboard except rows, including those inside collapsed rows.</summary>
    public static IEnumerable<JsonObject> Panels(JsonObject dashboard)
    {
        foreach (var node in dashboard["panels"]!.AsArray())
        {
            var panel = node!.AsObject();
            if ((string?)panel["type"] == "row")
            {
                foreach (var inner in panel["panels"]?.AsArray() ?? []) yield return inner!.AsObject();
                continue;
            }
            yield return panel;
        }
    }

    public static IEnumerable<JsonObject> Targets(JsonObject panel) =>
        (panel["targets"]?.AsArray() ?? []).Select(t => t!.AsObject());

    /// <summary>Every query target of every dashboard, named for test cases.</summary>
    public static IEnumerable<PanelTarget> AllTargets() =>
        from file in DashboardFiles
        let dashboard = Dashboard(file)
        from panel in Panels(dashboard)
        from target in Targets(panel)
        select new PanelTarget(file, (string)panel["title"]!, (string?)target["refId"] ?? "", (string?)target["query"] ?? "", dashboard);

    public static JsonObject Panel(JsonObject dashboard, string title) =>
        Panels(dashboard).Single(p => (string?)p["title"] == title);
}

internal sealed record ProvisionedDatasource(string Uid, string Type, string Url, string Database, string Version, string TimeInterval);

internal sealed record PanelTarget(string File, string Panel, string RefId, string Query, JsonObject Dashboard)
{
    public override string ToString() => $"{File} / {Panel} / {RefId}";
}
