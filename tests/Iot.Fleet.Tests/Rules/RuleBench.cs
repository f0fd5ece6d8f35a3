using Iot.Fleet.Leads;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Tests.Rules;

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>A rule engine over an in-memory journal and lead archive, fed like the ingest feeds it:
/// store the record, then apply it; a "restart" builds a new engine over the same journal.</summary>
public sealed class RuleBench : ISiteDirectory, IRecordHistory, ILeadArchive
{
    public static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    private readonly List<TelemetryRecord> _journal = [];
    private readonly Dictionary<string, SiteContext> _siteOfDevice = [];
    private readonly Dictionary<long, Lead> _stored = [];
    private long _nextLeadId = 1;
    private long _committedCursor;
    private uint _seq;

    public RuleBench(DateTimeOffset now) => Clock = new ManualClock(now);

    public ManualClock Clock { get; }
    public RuleEngine Engine { get; private set; } = null!;

    /// <summary>History entries as saved: lead, change, detail.</summary>
    public List<(long Lead, string Change, string Detail)> History { get; } = [];

    /// <summary>Every enforcement lead as stored, merged and withdrawn ones included.</summary>
    public IReadOnlyList<Lead> AllLeads => _stored.Values.Where(l => l.Queue == LeadQueue.Enforcement).OrderBy(l => l.Id).ToList();

    /// <summary>Leads and alerts as stored, ordered by start (enforcement leads still open: not merged, not withdrawn).</summary>
    public IReadOnlyList<Lead> Leads => _stored.Values
        .Where(l => l.Queue == LeadQueue.Enforcement && l.Status is not (LeadStatus.Merged or LeadStatus.Withdrawn)).OrderBy(l => l.StartMinute).ToList();
    public IReadOnlyList<Lead> Alerts => _stored.Values.Where(l => l.Queue == LeadQueue.Integrity).OrderBy(l => l.StartMinute).ToList();

    public SiteContext Site(string id, SiteKind kind, RuleProfile? profile = null, params string[] devices)
    {
        var site = new SiteContext(id, kind, Shanghai, profile ?? RuleProfile.Default) { Devices = devices };
        foreach (var d in devices) _siteOfDevice[d] = site;
        Restart();
        return site;
    }

    /// <summary>A new engine over the same journal and archive, as after a crash.</summary>
    public void Restart()
    {
        Engine = new RuleEngine(this, this, this, Clock);
        Engine.ResumeAfter(_committedCursor);
    }

    /// <summary>Stores and applies one-minute records for a device, one per minute from <paramref name="startLocal"/>.</summary>
    public void Minutes(string device, DateTime startLocal, int count, Func<int, Dictionary<string, double>> measure, int quality = 0)
    {
        var t = Utc(startLocal);
        for (var i = 0; i < count; i++) Send(new TelemetryRecord(device, ++_seq, t + i * 60, 60, quality, measure(i)));
    }

    /// <summary>Stores (as the ingest would, with the next row id) and applies a record.</summary>
    public void Send(TelemetryRecord record)
    {
        var stored = record with { RowId = _journal.Count + 1 };
        _journal.Add(stored);
        Engine.Apply(stored);
        Commit();
    }

    /// <summary>Applies a `tamper` event of the device at its event time (seconds), as the ingest does, and stores the changes.</summary>
    public void Tamper(string device, long time)
    {
        Engine.ApplyTamperEvent(device, time);
        Commit();
    }

    /// <summary>Stores records without judging them, as if the fleet died before the rules ran.</summary>
    public void StoreOnly(TelemetryRecord record) => _journal.Add(record with { RowId = _journal.Count + 1 });

    /// <summary>Applies every stored record after the engine's cursor, as the fleet does on start.</summary>
    public void Replay()
    {
        foreach (var r in _journal.Where(r => r.RowId > Engine.AppliedUpTo).ToList()) Engine.Apply(r);
        Commit();
    }

    public static long Utc(DateTime local) =>
        new DateTimeOffset(local, Shanghai.GetUtcOffset(local)).ToUnixTimeSeconds();

    public static DateTime Local(long minute) =>
        TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeSeconds(minute * 60), Shanghai).DateTime;

    public uint NextSeq() => ++_seq;

    /// <summary>Stores the engine's changes and cursor together, as the fleet does in one transaction.</summary>
    private void Commit()
    {
        _committedCursor = Engine.AppliedUpTo;
        var changes = Engine.TakeChanges();
        foreach (var lead in changes)
            if (lead.Id == 0) lead.Id = _nextLeadId++;
        foreach (var lead in changes)
        {
            if (lead.MergedIntoLead is { } into) lead.MergedInto = into.Id;
            History.AddRange(lead.PendingHistory.Select(h => (lead.Id, h.Change, string.Format(System.Globalization.CultureInfo.InvariantCulture, h.Detail, h.Other?.Id))));
            lead.PendingHistory.Clear();
            _stored[lead.Id] = Copy(lead);
        }
    }

    SiteContext? ISiteDirectory.SiteOf(string device) => _siteOfDevice.GetValueOrDefault(device);

    IReadOnlyList<TelemetryRecord> IRecordHistory.Load(string device, long fromTime, long toTime, long beforeRowId) =>
        _journal.Where(r => r.Device == device && r.RowId < beforeRowId && r.Time < toTime && r.Time + r.Duration > fromTime).ToList();

    long? IRecordHistory.LatestMinute(string device, long beforeRowId) =>
        _journal.Where(r => r.Device == device && r.RowId < beforeRowId).Select(r => (long?)((r.Time + r.Duration - 1) / 60)).Max();

    IReadOnlyList<Lead> ILeadArchive.Load(string site, string rule, long sinceMinute) =>
        _stored.Values.Where(l => l.Site == site && l.Rule == rule && l.EndMinute >= sinceMinute).Select(Copy).ToList();

    // The archive hands out copies, as a database would: the engine's objects are not the stored ones.
    private static Lead Copy(Lead l) => new()
    {
        Id = l.Id, Queue = l.Queue, Rule = l.Rule, Site = l.Site, Devices = new(l.Devices, StringComparer.Ordinal),
        StartMinute = l.StartMinute, EndMinute = l.EndMinute, WindowMinutes = l.WindowMinutes, Value = l.Value,
        Limit = l.Limit, Unit = l.Unit, Late = l.Late, Status = l.Status, RaisedAt = l.RaisedAt, UpdatedAt = l.UpdatedAt,
        Profile = l.Profile, Detail = l.Detail, Permit = l.Permit, MergedInto = l.MergedInto,
    };
}
