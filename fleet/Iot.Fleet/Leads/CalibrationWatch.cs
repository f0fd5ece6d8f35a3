using Iot.Fleet.Health;
using Iot.Fleet.Meters;
using Iot.Fleet.Operations;
using Iot.Fleet.Rules;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Leads;

/// <summary>Warns engineers before a meter's certificate runs out (`meter.calibration_expiring`, an integrity alert on the
/// meter's site), <see cref="EvidenceGradeOptions.CalibrationWarningDays"/> days ahead and once per certificate: after its
/// last day the meter's leads are `uncalibrated` and no longer evidence-grade.</summary>
public sealed class CalibrationWatch(MeterRegister meters, LeadStore leads, IOptions<EvidenceGradeOptions> options, TimeProvider clock,
    ILogger<CalibrationWatch> logger) : BackgroundService
{
    public const string CalibrationExpiring = "meter.calibration_expiring";

    protected override Task ExecuteAsync(CancellationToken stop) =>
        PeriodicCheck.Run(TimeSpan.FromHours(1), clock, Check, logger, "calibration check", stop);

    /// <summary>Raises one alert per certificate that ends within the warning days and was not warned about yet.</summary>
    public void Check()
    {
        foreach (var (calibration, meter, site) in meters.ExpiringUnwarned(options.Value.CalibrationWarningDays))
        {
            // Marked first: of two checks at once only one raises the alert.
            if (!meters.MarkWarned(calibration.Id)) continue;
            var now = clock.GetUtcNow();
            var minute = now.ToUnixTimeSeconds() / 60;
            var alert = new Lead
            {
                Queue = LeadQueue.Integrity, Rule = CalibrationExpiring, Site = site ?? HealthWatch.FleetSite,
                Devices = new(StringComparer.Ordinal) { meter.Device }, StartMinute = minute, EndMinute = minute, WindowMinutes = 1,
                Value = calibration.ValidUntil.DayNumber - DateOnly.FromDateTime(now.UtcDateTime).DayNumber, Limit = options.Value.CalibrationWarningDays, Unit = "d",
                RaisedAt = now, UpdatedAt = now,
                Detail = $"meter {meter.Id} ({meter.Make} {meter.Model}, serial {meter.Serial}) on {meter.Device}: certificate {calibration.Certificate} " +
                         $"valid until {calibration.ValidUntil:yyyy-MM-dd}; calibrate it again before then",
            };
            leads.Save([alert]);
        }
    }
}
