using System.Text.Json.Nodes;
using Iot.Contract;
using Iot.Fleet.Rules;
using Iot.Fleet.Telemetry;
using Iot.Gateway.Telemetry;
using Xunit;

namespace Iot.Grafana.Tests;

/// <summary>Every panel query of every dashboard, with Grafana's macros expanded, against the demo data in a real
/// InfluxDB: no error and at least one row.</summary>
public sealed class DashboardQueryTests(DemoInflux influx) : IClassFixture<DemoInflux>
{
    public static TheoryData<string, string, string> Targets()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var t in GrafanaFiles.AllTargets()) data.Add(t.File, t.Panel, t.RefId);
        return data;
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Panel_query_returns_rows_from_the_demo_data(string file, string panel, string refId)
    {
        var target = Find(file, panel, refId);
        var failure = await Check(target, target.Query);
        Assert.True(failure is null, failure);
    }

    [Fact]
    public async Task Template_variables_list_the_sites_of_the_demo_data()
    {
        var variables = GrafanaFiles.DashboardFiles.SelectMany(f => QueryVariables(GrafanaFiles.Dashboard(f))).ToList();
        Assert.NotEmpty(variables);
        foreach (var (name, query) in variables)
        {
            var values = await Values(query);
            Assert.True(values.Count > 0, $"variable ${name}: {query} lists nothing");
            if (name == "site") Assert.Contains("S-FM-0002", values);
        }
    }

    /// <summary>The check catches a wrong query: a misspelled field gives no rows, a misspelled function an error.</summary>
    [Fact]
    public async Task A_misspelled_field_or_function_fails_the_check()
    {
        var fume = Find("site.json", "Fume concentration", "B");
        Assert.Null(await Check(fume, fume.Query));
        Assert.Contains("no rows", await Check(fume, fume.Query.Replace("mean(\"fume\")", "mean(\"fumes\")", StringComparison.Ordinal)));

        var health = Find("fleet-health.json", "Backfill share", "A");
        Assert.Null(await Check(health, health.Query));
        Assert.Contains("error", await Check(health, health.Query.Replace("mean(", "maen(", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_demo_data_has_several_sites_of_each_kind_and_every_kind_of_trouble()
    {
        foreach (var channel in new[] { Channels.Fume, Channels.Laeq, Channels.Pm10 })
            Assert.True(influx.Records.Where(r => r.Measurements.ContainsKey(channel)).Select(r => r.Site).Distinct().Count() >= 3, $"sites with {channel}");
        var bits = influx.Records.Aggregate(0, (all, r) => all | r.Quality);
        foreach (var bit in new[] { QualityBits.ClockUnsynced, QualityBits.SensorFault, QualityBits.WarmUp, QualityBits.Tamper, QualityBits.Backfill, QualityBits.PowerInterruption })
            Assert.True((bits & bit) != 0, $"no record with quality bit {bit}");
        Assert.True(influx.Records.Any(r => r.Measurements.GetValueOrDefault(Channels.Fume) > RuleProfile.Default.LimitOf("fume.concentration")), "no fume above the limit");
    }

    private static PanelTarget Find(string file, string panel, string refId) =>
        GrafanaFiles.AllTargets().Single(t => t.File == file && t.Panel == panel && t.RefId == refId);

    /// <summary>Null when the query works for the dashboard's default time range: no error for any value of the
    /// template variables it uses, rows for at least one (a fume panel shows nothing for a noise site).</summary>
    private async Task<string?> Check(PanelTarget target, string query)
    {
        var now = DateTimeOffset.UtcNow;
        var time = target.Dashboard["time"]!;
        var from = GrafanaMacros.Relative((string)time["from"]!, now);
        var to = GrafanaMacros.Relative((string)time["to"]!, now);
        var interval = GrafanaMacros.Interval(to - from, GrafanaMacros.ParseDuration(influx.Datasource.TimeInterval));

        var choices = new List<Dictionary<string, string>> { new() };
        foreach (var (name, variableQuery) in QueryVariables(target.Dashboard))
        {
            var values = await Values(variableQuery);
            var used = query.Contains("$" + name, StringComparison.Ordinal) || query.Contains("${" + name + "}", StringComparison.Ordinal);
            choices = choices.SelectMany(c => (used ? values : values.Take(1)).Select(v => new Dictionary<string, string>(c) { [name] = v })).ToList();
        }

        var withRows = 0;
        foreach (var variables in choices)
        {
            var expanded = GrafanaMacros.Expand(query, new QueryContext(from, to, interval, variables));
            var result = await influx.Query(expanded);
            if (result.Error is not null) return $"{target}: InfluxDB error: {result.Error}\n{expanded}";
            if (result.Rows.Count > 0) withRows++;
        }
        return withRows > 0 ? null
            : $"{target}: no rows for any of {choices.Count} variable choice(s), e.g.\n{GrafanaMacros.Expand(query, new QueryContext(from, to, interval, choices[0]))}";
    }

    private static IEnumerable<(string Name, string Query)> QueryVariables(JsonObject dashboard) =>
        from v in dashboard["templating"]?["list"]?.AsArray() ?? []
        where (string?)v!["type"] == "query"
        select ((string)v!["name"]!, v["query"] is JsonValue text ? (string)text! : (string)v["query"]!["query"]!);

    private async Task<List<string>> Values(string variableQuery)
    {
        var result = await influx.Query(variableQuery);
        Assert.True(result.Error is null, $"{variableQuery}: {result.Error}");
        // SHOW TAG VALUES answers rows of [key, value].
        return result.Rows.Select(r => (string)r[^1]!).Order(StringComparer.Ordinal).ToList();
    }
}
