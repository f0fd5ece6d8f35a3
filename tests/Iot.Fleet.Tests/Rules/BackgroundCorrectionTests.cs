using Iot.Fleet.Rules;
using Iot.Fleet.Telemetry;
using Xunit;

namespace Iot.Fleet.Tests.Rules;

/// <summary>GB 12523-2011 background correction: the table, and a noise lead it decides.</summary>
public sealed class BackgroundCorrectionTests
{
    private static readonly DateTime Night = new(2026, 11, 20, 23, 0, 0);

    [Theory]
    [InlineData(15.0, 0)]
    [InlineData(10.0, 0)]
    [InlineData(9.5, 0)] // rounds to 10
    [InlineData(9.4, -1)]
    [InlineData(6.0, -1)]
    [InlineData(5.5, -1)] // rounds to 6
    [InlineData(5.0, -2)]
    [InlineData(4.0, -2)]
    [InlineData(3.0, -3)]
    [InlineData(2.5, -3)] // rounds to 3
    public void The_difference_rounded_to_a_whole_dB_gives_the_correction(double difference, int correction) =>
        Assert.Equal(correction, BackgroundCorrection.CorrectionFor(difference));

    [Theory]
    [InlineData(2.4)]
    [InlineData(1.0)]
    [InlineData(0.0)]
    [InlineData(-4.0)]
    public void Under_3_dB_the_measurement_is_not_valid_as_evidence(double difference)
    {
        Assert.Null(BackgroundCorrection.CorrectionFor(difference));
        Assert.Null(BackgroundCorrection.Corrected(60 + difference, 60));
    }

    [Fact]
    public void Without_a_background_the_measurement_stands() => Assert.Equal(58.2, BackgroundCorrection.Corrected(58.2, null));

    [Fact]
    public void A_night_lead_that_the_correction_brings_under_the_limit_is_not_raised()
    {
        // 57 dB(A) measured against a 55 dB(A) night limit; the background of 52 dB(A) is 5 dB below: −2 → 55, not over.
        Assert.Equal("noise.night_leq", Assert.Single(Run(background: null)).Rule);
        Assert.DoesNotContain(Run(background: 52), l => l.Rule == "noise.night_leq");
        // 12 dB below: no correction, the lead stands at the measured level.
        var stands = Assert.Single(Run(background: 45), l => l.Rule == "noise.night_leq");
        Assert.Equal(57, stands.Value, 6);
        // 1 dB below: the source cannot be told from the background, the windows are not judged.
        Assert.DoesNotContain(Run(background: 56), l => l.Rule == "noise.night_leq");
    }

    [Fact]
    public void A_background_counts_only_from_its_measurement_on()
    {
        var measuredAfter = DateTimeOffset.FromUnixTimeSeconds(RuleBench.Utc(Night.AddHours(2)));
        Assert.Single(Run(background: 52, measuredAt: measuredAfter), l => l.Rule == "noise.night_leq");
    }

    private static IReadOnlyList<Iot.Fleet.Rules.Lead> Run(double? background, DateTimeOffset? measuredAt = null)
    {
        var bench = new RuleBench(new DateTimeOffset(Night.AddDays(-1), TimeSpan.FromHours(8)));
        var site = bench.Site("S1", SiteKind.Noise, null, "D1");
        if (background is { } level)
            site.Backgrounds = [new BackgroundLevel(1, "S1", level, measuredAt ?? DateTimeOffset.FromUnixTimeSeconds(RuleBench.Utc(Night.AddDays(-1))), "李工", null)];
        for (var i = 0; i < 40; i++)
        {
            bench.Clock.Now = DateTimeOffset.FromUnixTimeSeconds(RuleBench.Utc(Night.AddMinutes(i + 1)) + 5);
            // LAFmax kept under the night peak limit (70): only the Leq rule is in question.
            bench.Minutes("D1", Night.AddMinutes(i), 1, _ => new() { ["laeq"] = 57, ["lafmax"] = 60 });
        }
        return bench.Leads;
    }
}
