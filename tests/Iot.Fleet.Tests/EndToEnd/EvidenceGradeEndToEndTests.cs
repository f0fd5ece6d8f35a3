using Iot.Fleet.Leads;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;
using static Iot.Fleet.Tests.EndToEnd.PipelineFixture;

namespace Iot.Fleet.Tests.EndToEnd;

/// <summary>Meters and background on the real broker, fleet and InfluxDB: the same night noise from three gateways raises a
/// calibrated lead that names its meter, an uncalibrated one from a gateway without a meter, and nothing where the site's
/// background correction brings it under the limit.</summary>
[Collection(PipelineCollection.Name)]
public sealed class EvidenceGradeEndToEndTests(PipelineFixture pipeline)
{
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

    [Fact]
    public async Task Calibration_grades_a_night_lead_and_the_background_correction_decides_it()
    {
        await pipeline.Register("N-BG-CORR", "noise", "GW-BG-CORR");
        await pipeline.Register("N-BG-CAL", "noise", "GW-BG-CAL");
        await pipeline.Register("N-BG-NONE", "noise", "GW-BG-NONE");
        using var http = pipeline.Fleet.Http();
        // 52 dB(A) background, 5 dB under the 57 measured: −2 → 55, not over the night limit.
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/sites/N-BG-CORR/background",
            new { level = 52, measuredAt = DateTimeOffset.UtcNow.AddDays(-3), measuredBy = "李工" })).StatusCode);
        var meter = await (await http.PostAsJsonAsync("/api/devices/GW-BG-CAL/meters",
            new { kind = "noise", make = "杭州爱华", model = "AWA5688", serial = "SN-E2E-1", installedFrom = DateTimeOffset.UtcNow.AddDays(-30) })).Content.ReadFromJsonAsync<JsonObject>();
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync($"/api/meters/{(long)meter!["id"]!}/calibrations",
            new { certificate = "JJG188-E2E", institution = "计量院", calibratedOn = today.AddDays(-60), validUntil = today.AddDays(300) })).StatusCode);

        var local = DateTimeOffset.UtcNow.ToOffset(Shanghai).AddHours(-2);
        var night = new DateTimeOffset(local.Date, Shanghai).AddHours(23);
        if (night > local) night = night.AddDays(-1);
        // The corrected site first: once the others' leads are raised, its records have been judged too (rules go in row order).
        foreach (var device in new[] { "GW-BG-CORR", "GW-BG-CAL", "GW-BG-NONE" })
        {
            await using var gateway = await pipeline.Gateway(device);
            var records = Enumerable.Range(0, 40).Select(i => ((uint)(i + 1), night.ToUnixTimeSeconds() + i * 60, 32, """{"laeq":57,"lafmax":60}""")).ToArray();
            await gateway.PublishAsync($"iot/v1/{device}/telemetry", Envelope(device, records));
        }
        var calibrated = Assert.Single(await pipeline.Eventually(() => pipeline.Leads("N-BG-CAL"), l => l.Count >= 1, "the calibrated site's lead"))!;
        var uncalibrated = Assert.Single(await pipeline.Eventually(() => pipeline.Leads("N-BG-NONE"), l => l.Count >= 1, "the uncalibrated site's lead"))!;
        Assert.Equal(("noise.night_leq", "calibrated"), ((string)calibrated["rule"]!, (string)calibrated["evidence"]!));
        Assert.Equal(("noise.night_leq", "uncalibrated"), ((string)uncalibrated["rule"]!, (string)uncalibrated["evidence"]!));
        Assert.Empty(await pipeline.Leads("N-BG-CORR"));

        var evidence = (await http.GetFromJsonAsync<JsonObject>($"/api/leads/{(long)calibrated["id"]!}"))!;
        Assert.Equal(("AWA5688", "SN-E2E-1", "JJG188-E2E"),
            ((string)evidence["meters"]![0]!["model"]!, (string)evidence["meters"]![0]!["serial"]!, (string)evidence["meters"]![0]!["certificate"]!));
        // These gateways have no evidence key: the lead says its records rest on their broker login only.
        Assert.Equal(LeadProof.Unproven, (string?)evidence["proof"]);
        Assert.All(evidence["records"]!.AsArray(), r => Assert.Equal("unproven", (string?)r!["proof"]));
    }
}
