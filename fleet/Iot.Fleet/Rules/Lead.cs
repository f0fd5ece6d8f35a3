
namespace Iot.Fleet.Rules;

/// <summary>Which queue a finding goes to: enforcement leads for inspectors, integrity alerts for engineers.</summary>
public enum LeadQueue
{
    Enforcement,
    Integrity,
}

/// <summary>
/// One episode of one rule at one site: an enforcement lead, or an integrity alert in its own queue.
/// Start and End are the first and last breaching window starts, in UTC minutes since the epoch.
/// </summary>
public sealed class Lead
{
    /// <summary>Database id; 0 until stored.</summary>
    public long Id { get; set; }
    public required LeadQueue Queue { get; init; }
    public required string Rule { get; init; }
    public required string Site { get; init; }
    public SortedSet<string> Devices { get; init; } = new(StringComparer.Ordinal);
    public long StartMinute { get; set; }
    public long EndMinute { get; set; }
    public int WindowMinutes { get; init; }
    public double Value { get; set; }
    public double Limit { get; init; }
    public required string Unit { get; init; }
    public bool Late { get; init; }
    public string Status { get; set; } = LeadStatus.New;
    public DateTimeOffset RaisedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Rule profile the site was judged by when the lead was raised.</summary>
    public string Profile { get; init; } = "default";

    /// <summary>The version of <see cref="Profile"/> the lead was judged by (profiles are data and change by versions).</summary>
    public int ProfileVersion { get; init; } = 1;

    /// <summary>For a night lead: the approved, unrevoked night-work permit its windows overlap, or null (no permit).
    /// A permit allows the work, not the noise: the lead stands either way.</summary>
    public long? Permit { get; set; }

    /// <summary>Evidence grade (Meters/EvidenceGrade): `calibrated`, `uncalibrated` (a meter without a valid calibration at
    /// the time of the windows: kept, flagged, not evidence-grade), or null when calibration is not required.</summary>
    public string? Evidence { get; set; }

    /// <summary>What an engineer needs to know beyond the numbers (e.g. which channel flatlined).</summary>
    public string? Detail { get; set; }

    /// <summary>Status `merged`: the lead this one's episode now belongs to.</summary>
    public long? MergedInto { get; set; }

    /// <summary>The surviving lead while it may not have an id yet (saved in the same batch).</summary>
    internal Lead? MergedIntoLead { get; set; }

    /// <summary>Changes of the lead not saved to its history yet.</summary>
    internal List<LeadChange> PendingHistory { get; } = [];

    /// <summary>Notes a change for the lead's history; {0} in the detail becomes the other lead's id once it has one.</summary>
    internal void Note(DateTimeOffset at, string change, string detail, Lead? other) => PendingHistory.Add(new LeadChange(at, change, detail, other));

    public DateTimeOffset Start => DateTimeOffset.FromUnixTimeSeconds(StartMinute * 60);
    public DateTimeOffset End => DateTimeOffset.FromUnixTimeSeconds(EndMinute * 60);
}

/// <summary>Lead statuses the pipeline sets; the inspectors' loop adds its own.</summary>
public static class LeadStatus
{
    public const string New = "new";
    /// <summary>A breach at a site without a passed commissioning at the time: shown, never an enforcement lead.</summary>
    public const string NotCommissioned = "not_commissioned";
    /// <summary>An offline alert whose gap was filled by backfilled records.</summary>
    public const string Recovered = "recovered";
    /// <summary>Late records joined this lead's episode to an earlier lead's (`merged_into` names it); its case carries over.</summary>
    public const string Merged = "merged";
    /// <summary>Late records show no breaching window in this lead any more (a window judged on 90 % of its minutes
    /// that the missing ones brought under the limit); kept, never deleted, with the reason in its history.</summary>
    public const string Withdrawn = "withdrawn";
}

/// <summary>One entry of a lead's history as the API shows it.</summary>
public sealed record LeadHistoryEntry(DateTime At, string Change, string Detail);

/// <summary>One entry of a lead's history, before it is saved.</summary>
internal sealed record LeadChange(DateTimeOffset At, string Change, string Detail, Lead? Other);

/// <summary>What a history entry says happened to a lead when late records changed its episode.</summary>
public static class LeadChanges
{
    public const string Merged = "merged";
    public const string Absorbed = "absorbed";
    public const string Cut = "cut";
    public const string Withdrawn = "withdrawn";
}
