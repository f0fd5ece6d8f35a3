using Iot.Fleet.Api;
using Iot.Fleet.Cases;
using Iot.Fleet.Notifications;
using Iot.Fleet.Rules;
using Iot.Fleet.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Iot.Fleet.Tests.Cases;

/// <summary>Notice first (轻微违法告知承诺) by the right measure: margins in each rule's own terms, the bureau's list of
/// minor offences checked at start, the inspector's override with a reason, and the operator's commitment letter.
/// Over a temp database (real SQLite) on a clock the test moves.</summary>
public sealed class NoticeFirstTests : IDisposable
{
    private readonly LoopDatabase _db = new(new NotificationTarget { Name = "hook", Kind = TargetKinds.Webhook, Url = "http://127.0.0.1:9/hook" });

    public NoticeFirstTests()
    {
        foreach (var (site, kind) in new[] { ("C-1", SiteKind.Noise), ("C-2", SiteKind.Noise), ("D-1", SiteKind.Dust), ("D-2", SiteKind.Dust), ("R-1", SiteKind.Fume) })
            _db.AddSite(site, "G-1", kind);
        _db.Squads.Save(new Squad("SQ-EAST", "东区中队 East squad", ["G-1"], ["li.wei"]));
    }

    public void Dispose() => _db.Dispose();

    [Fact]
    public void Noise_is_judged_in_decibels_over_the_limit_and_dust_in_a_share_over_it()
    {
        var quiet = Found(_db.RaiseLead("C-1", value: 57, limit: 55, rule: "noise.night_leq")); // 2 dB over: minor
        Assert.Equal(CaseStatus.Noticed, quiet.Status);
        Assert.Equal((true, 2.0, "dB", 3.0, "fleet"), (quiet.Minor!.Minor, quiet.Minor.Over, quiet.Minor.Unit, quiet.Minor.Allowed, quiet.Minor.By));
        Assert.Equal(["acknowledge", "dispatch", "result", "notice"], quiet.History!.Select(h => h.Step));

        var loud = Found(_db.RaiseLead("C-2", value: 67, limit: 55, rule: "noise.night_leq")); // 12 dB over: not minor
        Assert.Equal(CaseStatus.ViolationFound, loud.Status);
        Assert.False(loud.Notice);
        Assert.Equal((false, 12.0, "dB"), (loud.Minor!.Minor, loud.Minor.Over, loud.Minor.Unit));
        Assert.Contains("more than the 3 dB", loud.Minor.Why);

        // 66 dB(A) against 55 is exactly 20 % of the number, and 11 dB: over ten times the sound energy. Never minor.
        var twentyPercent = Found(_db.RaiseLead("C-2", value: 66, limit: 55, rule: "noise.day_leq"));
        Assert.Equal(CaseStatus.ViolationFound, twentyPercent.Status);
        Assert.Equal(11.0, twentyPercent.Minor!.Over);

        var peak = Found(_db.RaiseLead("C-2", value: 72.5, limit: 70, rule: "noise.night_lmax")); // noise.* covers the peak rule too
        Assert.Equal((true, 2.5, "dB"), (peak.Minor!.Minor, peak.Minor.Over, peak.Minor.Unit));

        var light = Found(_db.RaiseLead("D-1", value: 165, limit: 150, rule: "dust.pm10")); // 10 % over: minor
        Assert.Equal(CaseStatus.Noticed, light.Status);
        Assert.Equal((true, 10.0, "%", 20.0), (light.Minor!.Minor, light.Minor.Over, light.Minor.Unit, light.Minor.Allowed));

        var heavy = Found(_db.RaiseLead("D-2", value: 210, limit: 150, rule: "dust.pm10")); // 40 % over: not minor
        Assert.Equal(CaseStatus.ViolationFound, heavy.Status);
        Assert.Equal((false, 40.0, "%"), (heavy.Minor!.Minor, heavy.Minor.Over, heavy.Minor.Unit));

        // A behaviour, not a level: by default never minor, whatever its value; its measure is how long it lasted.
        var purifier = Found(_db.RaiseLead("R-1", value: 0, limit: 0.5, rule: "fume.purifier_off"));
        Assert.Equal(CaseStatus.ViolationFound, purifier.Status);
        Assert.Equal(("min", (double?)null), (purifier.Minor!.Unit, purifier.Minor.Allowed));
        Assert.Contains("never minor", purifier.Minor.Why);
    }

    [Fact]
    public void Only_a_first_offence_is_minor_within_the_configured_days()
    {
        _db.LoopOptions.MinorOffences.FirstOffenceDays = 30;
        _db.Reopen();
        var first = Found(_db.RaiseLead("D-1", value: 160, limit: 150, rule: "dust.pm10"));
        Assert.Equal(CaseStatus.Noticed, first.Status);
        _db.Cases.Commitment(first.Lead, new CommitmentLetter("王经理 (site manager)", null, null, "承诺书 2026-031", null), "li.wei", null);
        _db.Cases.Verify(first.Lead, "letter seen", "chief", null);
        _db.Cases.Close(first.Lead, CaseStatus.Confirmed, null, "notice served", "chief", null);

        _db.Clock.Now += TimeSpan.FromDays(10);
        var again = Found(_db.RaiseLead("D-1", value: 160, limit: 150, rule: "dust.pm10"));
        Assert.Equal(CaseStatus.ViolationFound, again.Status);
        Assert.False(again.Minor!.FirstOffence);
        Assert.Contains("confirmed case in the last 30 days", again.Minor.Why);

        _db.Clock.Now += TimeSpan.FromDays(31);
        Assert.Equal(CaseStatus.Noticed, Found(_db.RaiseLead("D-1", value: 160, limit: 150, rule: "dust.pm10")).Status);
    }

    [Fact]
    public void The_list_of_minor_offences_is_the_bureaus_own()
    {
        _db.LoopOptions.MinorOffences.Margins["noise.*"] = "1 dB";
        _db.LoopOptions.MinorOffences.Margins["noise.night_lmax"] = "never";
        _db.LoopOptions.MinorOffences.Margins["dust.pm10"] = "50 %";
        _db.LoopOptions.MinorOffences.Margins["fume.purifier_off"] = "30 min";
        _db.Reopen();

        Assert.Equal(CaseStatus.ViolationFound, Found(_db.RaiseLead("C-1", value: 57, limit: 55, rule: "noise.night_leq")).Status);
        Assert.Equal(CaseStatus.ViolationFound, Found(_db.RaiseLead("C-2", value: 70.5, limit: 70, rule: "noise.night_lmax")).Status);
        Assert.Equal(CaseStatus.Noticed, Found(_db.RaiseLead("C-2", value: 55.5, limit: 55, rule: "noise.night_leq")).Status);
        Assert.Equal(CaseStatus.Noticed, Found(_db.RaiseLead("D-1", value: 210, limit: 150, rule: "dust.pm10")).Status);
        var purifier = Found(_db.RaiseLead("R-1", value: 0, limit: 0.5, rule: "fume.purifier_off")); // windows over 12 minutes
        Assert.Equal((true, 12.0, "min", 30.0), (purifier.Minor!.Minor, purifier.Minor.Over, purifier.Minor.Unit, purifier.Minor.Allowed));
    }

    [Fact]
    public void A_margin_in_the_wrong_terms_stops_the_fleet_at_start_with_the_key_to_fix()
    {
        var errors = Validate(new()
        {
            ["ClosedLoop:MinorOffences:Margins:noise.*"] = "20 %",
            ["ClosedLoop:MinorOffences:Margins:dust.pm10"] = "3 dB",
            ["ClosedLoop:MinorOffences:Margins:fume.purifier_off"] = "20 %",
            ["ClosedLoop:MinorOffences:Margins:nois.night_leq"] = "3 dB",
            ["ClosedLoop:MinorOffences:Margins:fume.concentration"] = "a little",
            ["ClosedLoop:MinorOffences:FirstOffenceDays"] = "0",
        });
        Assert.Contains(errors, e => e.StartsWith("ClosedLoop:MinorOffences:Margins:noise.*: noise.day_leq is measured in dB(A), a logarithmic scale", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ClosedLoop:MinorOffences:Margins:dust.pm10: dust.pm10 is a concentration", StringComparison.Ordinal) && e.Contains("'20 %'"));
        Assert.Contains(errors, e => e.StartsWith("ClosedLoop:MinorOffences:Margins:fume.purifier_off: fume.purifier_off is a behaviour", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ClosedLoop:MinorOffences:Margins:nois.night_leq: no rule is called", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ClosedLoop:MinorOffences:Margins:fume.concentration = 'a little'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ClosedLoop:MinorOffences:FirstOffenceDays = 0", StringComparison.Ordinal));
        Assert.Contains(Validate(new() { ["ClosedLoop:MinorOffences:Margins:noise.*"] = "15 dB" }), e => e.Contains("more than the largest minor margin of 10 dB"));
        Assert.Contains(Validate(new() { ["ClosedLoop:ReviewHours"] = "0" }), e => e.StartsWith("ClosedLoop:ReviewHours = 0", StringComparison.Ordinal));

        // A valid section replaces only the defaults it names.
        var (valid, options) = Bind(new() { ["ClosedLoop:MinorOffences:Margins:noise.*"] = "5 dB", ["ClosedLoop:MinorOffences:FirstOffenceDays"] = "180" });
        valid.Validate();
        Assert.Equal("5 dB", options.MinorOffences.Margins["noise.*"]);
        Assert.Equal("20 %", options.MinorOffences.Margins["dust.pm10"]);
        Assert.Equal(TimeSpan.FromDays(180), MinorOffences.From(options.MinorOffences).FirstOffenceWithin);
    }

    [Fact]
    public void An_inspector_overrides_the_judgement_with_a_reason_kept_in_the_history()
    {
        var loud = Found(_db.RaiseLead("C-1", value: 67, limit: 55, rule: "noise.night_leq"));
        Assert.Equal(400, Assert.Throws<RefusalException>(() => _db.Cases.Minor(loud.Lead, true, " ", "li.wei", null)).Status);
        Assert.Equal(409, Assert.Throws<RefusalException>(() => _db.Cases.Minor(loud.Lead, false, "already the penalty path", "li.wei", null)).Status);

        var noticed = _db.Cases.Minor(loud.Lead, true, "pile driver stopped at once; first complaint in three years", "li.wei", null);
        Assert.Equal(CaseStatus.Noticed, noticed.Status);
        Assert.True(noticed.Notice);
        Assert.Equal((true, "li.wei", "pile driver stopped at once; first complaint in three years", 12.0),
            (noticed.Minor!.Minor, noticed.Minor.By, noticed.Minor.Reason, noticed.Minor.Over));
        var step = noticed.History![^1];
        Assert.Equal(("minor", CaseStatus.ViolationFound, CaseStatus.Noticed, "li.wei"), (step.Step, step.From, step.To, step.By));
        Assert.Equal("pile driver stopped at once; first complaint in three years", (string)step.Data!["reason"]!);
        Assert.Contains("more than the 3 dB", (string)step.Data!["fleet"]!);

        var quiet = Found(_db.RaiseLead("C-2", value: 56, limit: 55, rule: "noise.night_leq"));
        var penalty = _db.Cases.Minor(quiet.Lead, false, "operator refused to sign the commitment letter", "chief", null);
        Assert.Equal(CaseStatus.ViolationFound, penalty.Status);
        Assert.False(penalty.Notice);
        Assert.Equal(409, Assert.Throws<RefusalException>(() =>
            _db.Cases.Commitment(quiet.Lead, new CommitmentLetter("王经理", null, "整改承诺", null, null), "li.wei", null)).Status);

        // Reopened (a restart): the decision is read back as stored.
        _db.Reopen();
        Assert.Equal(("chief", false), (_db.Cases.Get(quiet.Lead).Minor!.By, _db.Cases.Get(quiet.Lead).Minor!.Minor));
    }

    [Fact]
    public void A_noticed_case_closes_as_confirmed_only_with_the_operators_commitment_letter()
    {
        var noticed = Found(_db.RaiseLead("D-1", value: 160, limit: 150, rule: "dust.pm10"));
        var refused = Assert.Throws<RefusalException>(() => _db.Cases.Close(noticed.Lead, CaseStatus.Confirmed, null, null, "chief", null));
        Assert.Equal(409, refused.Status);
        Assert.Contains("commitment letter (承诺书)", refused.Message);

        Assert.Equal(400, Assert.Throws<RefusalException>(() =>
            _db.Cases.Commitment(noticed.Lead, new CommitmentLetter("", null, "text", null, null), "li.wei", null)).Status);
        Assert.Equal(400, Assert.Throws<RefusalException>(() =>
            _db.Cases.Commitment(noticed.Lead, new CommitmentLetter("王经理", null, null, " ", null), "li.wei", null)).Status);
        Assert.Equal(400, Assert.Throws<RefusalException>(() =>
            _db.Cases.Commitment(noticed.Lead, new CommitmentLetter("王经理", _db.Clock.Now.AddHours(2), "text", null, null), "li.wei", null)).Status);

        _db.Clock.Now += TimeSpan.FromMinutes(40); // the squad serves the notice; the site manager signs
        var signedAt = _db.Clock.Now - TimeSpan.FromMinutes(5);
        var letter = new CommitmentLetter("王建国 (项目经理 site manager)", signedAt, "本单位承诺三日内完成裸土覆盖并开启喷淋。", "承诺书 2026-017", null);
        var recorded = _db.Cases.Commitment(noticed.Lead, letter, "li.wei", null);
        Assert.Equal(CaseStatus.Noticed, recorded.Status);
        Assert.Equal(new CommitmentView("王建国 (项目经理 site manager)", signedAt.UtcDateTime, "本单位承诺三日内完成裸土覆盖并开启喷淋。", "承诺书 2026-017",
            false, "li.wei", _db.Clock.Now.UtcDateTime), recorded.Commitment);
        Assert.Equal(("commitment", CaseStatus.Noticed, CaseStatus.Noticed), (recorded.History![^1].Step, recorded.History[^1].From, recorded.History[^1].To));
        Assert.Null(_db.Cases.CommitmentScan(noticed.Lead));

        _db.Cases.Verify(noticed.Lead, "letter seen", "chief", null);
        var closed = _db.Cases.Close(noticed.Lead, CaseStatus.Confirmed, null, "notice served; operator committed", "chief", null);
        Assert.Equal(CaseStatus.Confirmed, closed.Status);
        Assert.Equal("承诺书 2026-017", closed.Commitment!.Reference);
        Assert.Equal(["acknowledge", "dispatch", "result", "notice", "commitment", "verify", "close"], closed.History!.Select(h => h.Step));
    }

    /// <summary>Acknowledged, dispatched and a violation found on site.</summary>
    private CaseView Found(Iot.Fleet.Rules.Lead lead)
    {
        _db.Cases.Acknowledge(lead.Id, "centre", null, null);
        _db.Cases.Dispatch(lead.Id, "SQ-EAST", "centre", null, null);
        return _db.Cases.Result(lead.Id, CaseStatus.ViolationFound, "found on site", null, "li.wei", null);
    }

    /// <summary>The closed loop's options bound and checked as the fleet does at start.</summary>
    private static (IStartupValidator Validator, ClosedLoopOptions Options) Bind(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddClosedLoop();
        var provider = services.BuildServiceProvider();
        return (provider.GetRequiredService<IStartupValidator>(), provider.GetRequiredService<IOptions<ClosedLoopOptions>>().Value);
    }

    private static IReadOnlyList<string> Validate(Dictionary<string, string?> settings)
    {
        var failure = Assert.Throws<OptionsValidationException>(() => Bind(settings).Validator.Validate());
        return failure.Failures.ToList();
    }
}
