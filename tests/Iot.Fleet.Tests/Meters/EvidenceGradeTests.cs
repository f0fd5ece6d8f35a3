using System.Text.Json.Nodes;
using Dapper;
using Iot.Fleet.Audit;
using Iot.Fleet.Leads;
using Iot.Fleet.Meters;
using Iot.Fleet.Notifications;
using Iot.Fleet.Rules;
using Iot.Fleet.Telemetry;
using Iot.Fleet.Tests.Cases;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace Iot.Fleet.Tests.Meters;

/// <summary>A lead's evidence grade from the meter register, on a real fleet database with the notification outbox: a lead
/// from a meter without a valid calibration at the time of its windows is kept, flagged `uncalibrated`, and announced as
/// not evidence-grade; engineers are warned once before a certificate runs out.</summary>
public sealed class EvidenceGradeTests : IDisposable
{
    private readonly LoopDatabase _db = new(new NotificationTarget { Name = "robot", Kind = TargetKinds.DingTalk, Url = "http://127.0.0.1:9/robot" });
    private readonly EvidenceGradeOptions _options = new();
    private readonly MeterRegister _meters;
    private readonly LeadStore _leads;
    private readonly AuditLog _audit;

    public EvidenceGradeTests()
    {
        _db.AddSite("N-1", "G-1", SiteKind.Noise);
        _db.Registry.AddDevice("GW-1", "N-1");
        _meters = new MeterRegister(_db.Database, _db.Registry, Options.Create(_options), _db.Clock);
        _leads = new LeadStore(_db.Database, _db.Outbox, _meters);
        _audit = new AuditLog(_db.Database, _db.Clock);
    }

    private DateOnly Today => DateOnly.FromDateTime(_db.Clock.Now.UtcDateTime);

    private Meter SoundLevelMeter() =>
        _meters.AddMeter("GW-1", SiteKind.Noise, "杭州爱华", "AWA5688", "SN-00417", "CMC 浙制 00000417", _db.Clock.Now.AddDays(-400),
            AuditScope.ForSystem(_audit, "test", "meter.create"));

    private Calibration Calibrate(Meter meter, DateOnly on, DateOnly until, string certificate = "JJG188-2026-0417") =>
        _meters.AddCalibration(meter.Id, certificate, "浙江省计量科学研究院", null, on, until, null, AuditScope.ForSystem(_audit, "test", "meter.calibration"));

    private Lead Raise()
    {
        var minute = _db.Clock.Now.ToUnixTimeSeconds() / 60 - 30;
        var lead = new Lead
        {
            Queue = LeadQueue.Enforcement, Rule = "noise.night_leq", Site = "N-1", Devices = new(StringComparer.Ordinal) { "GW-1" }, StartMinute = minute,
            EndMinute = minute + 5, WindowMinutes = 20, Value = 61, Limit = 55, Unit = "dB(A)", RaisedAt = _db.Clock.Now, UpdatedAt = _db.Clock.Now,
        };
        _leads.Save([lead]);
        return lead;
    }

    private JsonObject Announced(Lead lead)
    {
        using var connection = _db.Database.Open();
        return JsonNode.Parse(connection.QuerySingle<string>("SELECT data FROM notification_events WHERE key = @key", new { key = $"lead.new:{lead.Id}" }))!.AsObject();
    }

    [Fact]
    public void A_lead_from_a_gateway_without_a_registered_meter_is_uncalibrated_and_announced_as_not_evidence()
    {
        var lead = Raise();
        Assert.Equal(EvidenceGrade.Uncalibrated, _leads.Get(lead.Id)!.Evidence);
        Assert.Equal(LeadStatus.New, _leads.Get(lead.Id)!.Status); // kept and visible
        var data = Announced(lead);
        Assert.False((bool)data["evidence_grade"]!);
        Assert.Equal("uncalibrated", (string)data["lead"]!["evidence"]!);
        var (title, text) = NotificationSender.DingTalkMarkdown(NotificationEvents.LeadNew, data);
        Assert.Contains("非证据级", title);
        Assert.Contains("不作为执法证据", text);
    }

    [Fact]
    public void An_expired_certificate_makes_the_lead_uncalibrated_and_a_valid_one_calibrated()
    {
        var meter = SoundLevelMeter();
        Calibrate(meter, Today.AddYears(-2), Today.AddYears(-1).AddDays(-1), "JJG188-2024-0001");
        var expired = Raise();
        Assert.Equal(EvidenceGrade.Uncalibrated, _leads.Get(expired.Id)!.Evidence);
        Assert.Null(Assert.Single(_meters.Behind(expired)).Certificate);

        Calibrate(meter, Today.AddDays(-100), Today.AddDays(265));
        var valid = Raise();
        Assert.Equal(EvidenceGrade.Calibrated, _leads.Get(valid.Id)!.Evidence);
        var behind = Assert.Single(_meters.Behind(valid));
        Assert.Equal(("杭州爱华", "AWA5688", "SN-00417", "JJG188-2026-0417"), (behind.Make, behind.Model, behind.Serial, behind.Certificate));
        var data = Announced(valid);
        Assert.True((bool)data["evidence_grade"]!);
        Assert.DoesNotContain("非证据级", NotificationSender.DingTalkMarkdown(NotificationEvents.LeadNew, data).Title);
    }

    [Fact]
    public void A_certificate_issued_after_the_windows_does_not_cover_them()
    {
        var meter = SoundLevelMeter();
        Calibrate(meter, Today.AddDays(1), Today.AddDays(365));
        Assert.Equal(EvidenceGrade.Uncalibrated, _leads.Get(Raise().Id)!.Evidence);
    }

    [Fact]
    public void Without_required_calibration_leads_are_not_graded()
    {
        _options.RequireCalibration = false;
        var lead = Raise();
        Assert.Null(_leads.Get(lead.Id)!.Evidence);
        Assert.True((bool)Announced(lead)["evidence_grade"]!);
    }

    [Fact]
    public void Engineers_are_warned_once_thirty_days_before_a_certificate_ends()
    {
        var meter = SoundLevelMeter();
        Calibrate(meter, Today.AddDays(-300), Today.AddDays(40));
        var watch = new CalibrationWatch(_meters, _db.Leads, Options.Create(_options), _db.Clock, NullLogger<CalibrationWatch>.Instance);

        watch.Check();
        Assert.Empty(Expiring());
        _db.Clock.Now = _db.Clock.Now.AddDays(10); // 30 days left
        watch.Check();
        var alert = Assert.Single(Expiring());
        Assert.Equal(("N-1", LeadQueue.Integrity), (alert.Site, alert.Queue));
        Assert.Contains("JJG188-2026-0417", alert.Detail);
        Assert.Contains("SN-00417", alert.Detail);
        _db.Clock.Now = _db.Clock.Now.AddDays(1);
        watch.Check();
        watch.Check();
        Assert.Single(Expiring());

        // The renewed certificate is warned about in its own time; the old one never again.
        Calibrate(meter, Today.AddDays(-1), Today.AddDays(364), "JJG188-2027-0999");
        watch.Check();
        Assert.Single(Expiring());
        _db.Clock.Now = _db.Clock.Now.AddDays(340);
        watch.Check();
        Assert.Equal(2, Expiring().Count);
        Assert.Contains(Expiring(), a => a.Detail!.Contains("JJG188-2027-0999", StringComparison.Ordinal));
    }

    private IReadOnlyList<Lead> Expiring() => _db.Leads.Find(LeadQueue.Integrity, new LeadQuery(Rule: CalibrationWatch.CalibrationExpiring));

    public void Dispose() => _db.Dispose();
}
