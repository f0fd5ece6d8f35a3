using Iot.Fleet.Health;
using Iot.Fleet.Leads;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Operations;

/// <summary>Options of the fleet's self-watch (section "Health").</summary>
public sealed class HealthOptions
{
    /// <summary>How often the stages and the disk are checked.</summary>
    public int CheckSeconds { get; set; } = 15;

    /// <summary>Free bytes on the database's file system below which `fleet.disk_low` is raised,
    /// early enough for an engineer to act before writes fail.</summary>
    public long DiskLowBytes { get; set; } = 1L << 30;
}

/// <summary>
/// Turns what <see cref="FleetHealth"/> sees into integrity alerts for engineers, on the pseudo-site
/// <see cref="FleetSite"/>: `fleet.stage_failed` when a stage failed and was restarted, `fleet.stage_stalled`
/// while a stage holds waiting work without moving (recovered when it moves again), and `fleet.disk_low`
/// while the database's disk is nearly full.
/// </summary>
public sealed class HealthWatch(FleetHealth health, LeadStore leads, IOptions<HealthOptions> options,
    IOptions<DatabaseOptions> database, TimeProvider clock, ILogger<HealthWatch> logger) : BackgroundService
{
    /// <summary>The site id of the fleet's own alerts.</summary>
    public const string FleetSite = "fleet";
    public const string StageFailed = "fleet.stage_failed", StageStalled = "fleet.stage_stalled", DiskLow = "fleet.disk_low";

    private readonly Dictionary<string, int> _failuresSeen = new(StringComparer.Ordinal);

    /// <summary>True while the database's disk is below <see cref="HealthOptions.DiskLowBytes"/>.</summary>
    public bool DiskIsLow { get; private set; }

    protected override Task ExecuteAsync(CancellationToken stop) =>
        PeriodicCheck.Run(TimeSpan.FromSeconds(options.Value.CheckSeconds), clock, Check, logger, "health check", stop);

    /// <summary>Checks every stage and the disk once.</summary>
    public void Check()
    {
        foreach (var stage in health.Report())
        {
            var seen = _failuresSeen.GetValueOrDefault(stage.Stage);
            if (stage.Failures > seen)
            {
                _failuresSeen[stage.Stage] = stage.Failures;
                Raise(StageFailed, stage.Stage, $"{stage.Stage}: failed {stage.Failures} time(s) and was restarted; last: {stage.LastFailure}", stage.Failures);
            }
            if (stage.Stalled)
            {
                logger.LogError("{Stage} is stalled with {Pending} item(s) waiting", stage.Stage, stage.Pending);
                Raise(StageStalled, stage.Stage, $"{stage.Stage}: {stage.Pending} waiting, no progress since {stage.LastProgressAt:u}", stage.Pending);
            }
            else Recover(StageStalled, stage.Stage);
        }
        var free = FreeBytes();
        DiskIsLow = free is { } f && f < options.Value.DiskLowBytes;
        if (DiskIsLow)
        {
            logger.LogError("the fleet database's disk has {Free} bytes free (alert below {Limit})", free, options.Value.DiskLowBytes);
            Raise(DiskLow, "disk", $"disk: {free / (1 << 20)} MiB free for the fleet database", free!.Value);
        }
        else Recover(DiskLow, "disk");
    }

    /// <summary>Free bytes on the file system of the fleet database, or null when it cannot be read.</summary>
    public long? FreeBytes()
    {
        try
        {
            // The data folder: SQLite's file lives there; a PostgreSQL server's disk is that server's to watch.
            return new DriveInfo(database.Value.DataDirectory).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException or InvalidOperationException)
        {
            return null;
        }
    }

    private void Raise(string rule, string stage, string detail, double value)
    {
        var now = clock.GetUtcNow();
        var minute = now.ToUnixTimeSeconds() / 60;
        if (Open(rule, stage) is { } open)
        {
            open.EndMinute = minute;
            open.Value = value;
            open.Detail = detail;
            open.UpdatedAt = now;
            leads.Save([open]);
            return;
        }
        var alert = new Lead
        {
            Queue = LeadQueue.Integrity, Rule = rule, Site = FleetSite, StartMinute = minute, EndMinute = minute, WindowMinutes = 1,
            Value = value, Limit = 0, Unit = "", RaisedAt = now, UpdatedAt = now, Detail = detail,
        };
        leads.Save([alert]);
    }

    private void Recover(string rule, string stage)
    {
        if (Open(rule, stage) is not { } open) return;
        open.Status = LeadStatus.Recovered;
        open.UpdatedAt = clock.GetUtcNow();
        leads.Save([open]);
    }

    private Lead? Open(string rule, string stage) =>
        leads.Find(LeadQueue.Integrity, new LeadQuery(Rule: rule, Site: FleetSite, Status: LeadStatus.New), limit: 100)
            .FirstOrDefault(l => l.Detail?.StartsWith(stage + ":", StringComparison.Ordinal) == true);
}
