namespace Iot.Fleet.Leads;

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

    /// <summary>What an engineer needs to know beyond the numbers (e.g. which channel flatlined).</summary>
    public string? Detail { get; set; }

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
}
