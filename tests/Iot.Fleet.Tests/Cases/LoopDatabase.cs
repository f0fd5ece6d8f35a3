using Iot.Fleet.Cases;
using Iot.Fleet.Leads;
using Iot.Fleet.Notifications;
using Iot.Fleet.Registry;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;
using Iot.Fleet.Tests.Rules;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Tests.Cases;

/// <summary>A temp fleet database with the closed loop over it, on a clock the test moves. <see cref="Reopen"/>
/// builds everything again over the same file, as a restart would.</summary>
public sealed class LoopDatabase : IDisposable
{
    public static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(1_795_000_800);
    private readonly string _dir = Directory.CreateTempSubdirectory("iot-loop-").FullName;

    public LoopDatabase(params NotificationTarget[] targets)
    {
        Options = new NotificationOptions { Targets = [.. targets], BaseDelaySeconds = 2, MaxDelaySeconds = 60 };
        Reopen();
    }

    public ManualClock Clock { get; } = new(Start);
    public NotificationOptions Options { get; }

    /// <summary>The closed loop's options; <see cref="Reopen"/> after changing them.</summary>
    public ClosedLoopOptions LoopOptions { get; } = new();
    public FleetDatabase Database { get; private set; } = null!;
    public NotificationOutbox Outbox { get; private set; } = null!;
    public NotificationSender Sender { get; private set; } = null!;
    public LeadStore Leads { get; private set; } = null!;
    public SiteRegistry Registry { get; private set; } = null!;
    public Squads Squads { get; private set; } = null!;
    public CaseStore Cases { get; private set; } = null!;
    public LeadFeed Feed { get; } = new();

    public void Reopen()
    {
        Sender?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Database = new FleetDatabase(Iot.Testing.TestDatabase.For(_dir));
        Database.Migrate();
        var monitor = new StaticOptions(Options);
        Outbox = new NotificationOutbox(Database, monitor, Clock);
        Sender = new NotificationSender(Outbox, monitor, Clock, NullLogger<NotificationSender>.Instance);
        Leads = new LeadStore(Database, Outbox, feed: Feed);
        Registry = new SiteRegistry(Database);
        Squads = new Squads(Database, Clock);
        Cases = new CaseStore(Database, Leads, Feed, Clock, Outbox, Microsoft.Extensions.Options.Options.Create(LoopOptions));
    }

    public void AddSite(string id, string grid, SiteKind kind = SiteKind.Fume) =>
        Registry.AddSite(new Site(id, $"Site {id}", kind, "Asia/Shanghai", grid, "default", []));

    /// <summary>Saves a new enforcement lead raised now, as the rules engine would; <paramref name="late"/>: raised from
    /// backfilled records, long after its first breaching window.</summary>
    public Lead RaiseLead(string site, double value = 3.0, double limit = 2.0, string rule = "fume.concentration", string status = LeadStatus.New,
        bool late = false)
    {
        var minute = Clock.Now.ToUnixTimeSeconds() / 60 - 20;
        var lead = new Lead
        {
            Queue = LeadQueue.Enforcement, Rule = rule, Site = site, Devices = new(StringComparer.Ordinal) { "GW-1" }, StartMinute = minute,
            EndMinute = minute + 2, WindowMinutes = 10, Value = value, Limit = limit, Unit = Rule.All.First(r => r.Id == rule).Unit, Status = status,
            Late = late, RaisedAt = Clock.Now, UpdatedAt = Clock.Now,
        };
        Leads.Save([lead]);
        return lead;
    }

    public void Dispose()
    {
        Sender.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private sealed class StaticOptions(NotificationOptions value) : IOptionsMonitor<NotificationOptions>
    {
        public NotificationOptions CurrentValue => value;
        public NotificationOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<NotificationOptions, string?> listener) => null;
    }
}
