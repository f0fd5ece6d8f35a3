using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Iot.Fleet.Cases;
using Iot.Fleet.Glossary;
using Iot.Fleet.Api;
using Iot.Fleet.People;
using Iot.Fleet.Rules;
using Iot.Fleet.Tests.People;
using Xunit;
using QualityBits = Iot.Contract.QualityBits;

namespace Iot.Fleet.Tests.Api;

/// <summary>GET /api/meta tells the pages what the fleet knows: every rule with the bureau's words, channels and units,
/// the queue's statuses, the states each case step starts from and the quality bits, read where they are defined.</summary>
[Collection(FleetAppCollection.Name)]
public sealed class MetaApiTests(FleetApp fleet)
{
    [Fact]
    public async Task The_meta_names_every_rule_step_and_quality_bit_the_fleet_has()
    {
        using var anonymous = fleet.Anonymous();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/meta")).StatusCode);
        using var http = await fleet.As(Roles.Inspector);
        var meta = (await http.GetFromJsonAsync<JsonObject>("/api/meta"))!;

        var rules = meta["rules"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Equal(Rule.All.Select(r => r.Id), rules.Select(r => (string)r["id"]!));
        foreach (var rule in rules)
        {
            var id = (string)rule["id"]!;
            Assert.Equal(BureauWords.Zh($"rule.{id}"), (string)rule["label"]!["zh"]!);
            Assert.Equal(BureauWords.En($"rule.{id}"), (string)rule["label"]!["en"]!);
        }
        var purifier = rules.Single(r => (string)r["id"]! == "fume.purifier_off");
        Assert.Equal(["pur", "fan"], purifier["channels"]!.AsArray().Select(c => (string)c!));
        Assert.True((bool)purifier["lowerIsWorse"]!);
        Assert.Equal("share", (string)purifier["unit"]!);
        Assert.True((bool)rules.Single(r => (string)r["id"]! == "noise.night_lmax")["atNight"]!);

        var statuses = meta["statuses"]!.AsArray().Select(s => (string)s!["id"]!).ToList();
        Assert.Equal([.. CaseStatus.All, "not_commissioned"], statuses);
        Assert.Equal("未整改", (string)meta["statuses"]!.AsArray().Single(s => (string)s!["id"]! == "not_rectified")!["label"]!["zh"]!);

        var steps = meta["caseSteps"]!.AsObject();
        Assert.Equal(CaseSteps.AllowedFrom.Keys.Order(), steps.Select(s => s.Key).Order());
        Assert.Equal(CaseSteps.AllowedFrom[CaseSteps.Deadline], steps[CaseSteps.Deadline]!.AsArray().Select(s => (string)s!));

        var channels = meta["channels"]!.AsArray();
        Assert.Equal(Iot.Fleet.Telemetry.Channels.All.Count, channels.Count);
        Assert.Contains(channels, c => (string)c!["name"]! == "pm10" && (string)c["unit"]! == "µg/m³");
        Assert.Contains("dB(A)", meta["units"]!.AsArray().Select(u => (string)u!));

        var bits = meta["qualityBits"]!.AsArray().Select(b => ((string)b!["name"]!, (int)b["bit"]!, (bool)b["notEvidence"]!)).ToList();
        Assert.Equal([("clockUnsynced", 1, true), ("sensorFault", 2, true), ("warmUp", 4, true), ("maintenance", 8, true), ("tamper", 16, true),
            ("backfill", 32, false), ("powerInterruption", 64, false)], bits);
        Assert.Equal(QualityBits.NotEvidence, (int)meta["notEvidence"]!);
    }
}
