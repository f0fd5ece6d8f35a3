using System.Text.Json.Serialization;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Updates;

/// <summary>Which devices a campaign is for; every given criterion must match (empty: the whole fleet).</summary>
/// <remarks>Names pinned in snake_case: also the campaign's spec stored in the database. The API renames them to camelCase (Api/ApiJson).</remarks>
public sealed record CampaignTarget(
    [property: JsonPropertyName("site_kind")] string? SiteKind = null,
    [property: JsonPropertyName("grid")] string? Grid = null,
    [property: JsonPropertyName("firmware")] string? Firmware = null,
    [property: JsonPropertyName("devices")] List<string>? Devices = null);

/// <summary>Body of POST /api/campaigns: what to install where, and how carefully.</summary>
/// <remarks>Names pinned in snake_case: also stored in the database (campaigns.spec), read back by Rollout. The API renames them to camelCase (Api/ApiJson).</remarks>
public sealed record CampaignSpec(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("target")] CampaignTarget? Target = null,
    // Cumulative shares of the targets per stage, ending at 100 (e.g. 1, 10, 50, 100).
    [property: JsonPropertyName("stages")] List<double>? Stages = null,
    // Commands sent per minute at most, within every stage (null: a stage's commands go out at once).
    [property: JsonPropertyName("rate_per_minute")] double? RatePerMinute = null,
    // The campaign halts when more than this share of a stage's devices failed.
    [property: JsonPropertyName("halt_threshold")] double HaltThreshold = 0.1,
    // After switching, a device must run the new version, be online and deliver a valid record within this time.
    [property: JsonPropertyName("health_timeout_s")] double HealthTimeoutSeconds = 900,
    // A device that says nothing about the update for this long times out (longer than the devices' trial time).
    [property: JsonPropertyName("silent_timeout_s")] double SilentTimeoutSeconds = 1800,
    // A command not acknowledged within this time is sent again (the device treats a repeat as the same job).
    [property: JsonPropertyName("resend_after_s")] double ResendAfterSeconds = 120,
    // Install on devices running a newer version; the release must be signed with allow_downgrade too.
    [property: JsonPropertyName("allow_downgrade")] bool AllowDowngrade = false,
    [property: JsonPropertyName("notes")] string? Notes = null)
{
    /// <summary>The stages as given, or all at once.</summary>
    [JsonIgnore]
    public IReadOnlyList<double> StageShares => Stages is { Count: > 0 } s ? s : [100];

    /// <summary>What is wrong with the spec itself; null when it can run.</summary>
    public string? Problem()
    {
        var stages = StageShares;
        for (var i = 0; i < stages.Count; i++)
        {
            if (stages[i] is <= 0 or > 100 || double.IsNaN(stages[i])) return "stage shares must be percentages above 0 and at most 100";
            if (i > 0 && stages[i] <= stages[i - 1]) return "stage shares are cumulative and must grow (e.g. 1, 10, 50, 100)";
        }
        if (stages[^1] != 100) return "the last stage must be 100 (every target)";
        if (RatePerMinute is <= 0 || RatePerMinute is double.NaN) return "ratePerMinute must be positive";
        if (HaltThreshold is < 0 or > 1 || double.IsNaN(HaltThreshold)) return "haltThreshold is a share between 0 and 1";
        if (HealthTimeoutSeconds <= 0 || SilentTimeoutSeconds <= 0 || ResendAfterSeconds <= 0) return "timeouts must be positive";
        return null;
    }
}

/// <summary>Where a campaign is.</summary>
public static class CampaignStatus
{
    public const string Running = "running";
    public const string Paused = "paused";
    /// <summary>Stopped by the fleet: a stage's failure share passed the threshold.</summary>
    public const string Halted = "halted";
    public const string Aborted = "aborted";
    public const string Completed = "completed";

    /// <summary>A device in an active campaign is not offered another one.</summary>
    public static bool IsActive(string status) => status is Running or Paused;
}

/// <summary>
/// A device's state in a campaign. Past `sent` these are the device's own words (its ack and `ota` event phases,
/// Gateway.Core/Ota/README.md), never inferred; `queued`, `sent`, `timed_out` and `skipped` are the fleet's.
/// </summary>
public static class UpdateState
{
    public const string Queued = "queued";
    public const string Sent = "sent";
    public const string Checking = "checking";
    public const string Downloading = "downloading";
    public const string Verified = "verified";
    public const string Installing = "installing";
    public const string Trial = "trial";
    public const string Confirmed = "confirmed";
    public const string Failed = "failed";
    public const string RolledBack = "rolled_back";
    /// <summary>Silent for longer than the campaign's silent timeout (a later report from the device replaces it).</summary>
    public const string TimedOut = "timed_out";
    /// <summary>Not offered the update (the reason says why: in another active campaign, already running it).</summary>
    public const string Skipped = "skipped";

    /// <summary>The device's last word on the job: nothing more will come unless it is asked again.</summary>
    public static bool IsOutcome(string state) => state is Confirmed or Failed or RolledBack or Skipped;

    /// <summary>Sent to the device and not finished yet.</summary>
    public static bool InFlight(string state) => state is Sent or Checking or Downloading or Verified or Installing or Trial;
}

/// <summary>The fleet's own check after a device confirms: new version reported, online, valid records.</summary>
public static class HealthGate
{
    public const string NotYet = "";
    public const string Pending = "pending";
    public const string Passed = "passed";
    public const string Failed = "failed";
}

/// <summary>One device in a campaign.</summary>
public sealed class CampaignDevice
{
    public required string Id { get; init; }
    public int Order { get; init; }
    public int Stage { get; init; }
    /// <summary>Firmware the device reported when the campaign was made.</summary>
    public string? From { get; init; }
    public string State { get; set; } = UpdateState.Queued;
    public string? Reason { get; set; }
    public int? Percent { get; set; }
    /// <summary>The version the device said it runs, in its last event.</summary>
    public string? Running { get; set; }
    public string Health { get; set; } = HealthGate.NotYet;
    public DateTimeOffset? SentAt { get; set; }
    public DateTimeOffset? LastSentAt { get; set; }
    public DateTimeOffset? HeardAt { get; set; }
    /// <summary>When the device first said it switched (installing, trial or confirmed): the health deadline counts from here.</summary>
    public DateTimeOffset? SwitchedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public int Sends { get; set; }
    internal bool Dirty { get; set; }

    /// <summary>Passed the stage gate: confirmed by the device and healthy as the fleet sees it.</summary>
    public bool Succeeded => State == UpdateState.Confirmed && Health == HealthGate.Passed;

    /// <summary>Counts against the stage: the device failed, rolled back, went silent, or did not prove healthy in time.</summary>
    public bool Failed => State is UpdateState.Failed or UpdateState.RolledBack or UpdateState.TimedOut || Health == HealthGate.Failed;
}

/// <summary>A rollout of one release to a set of devices, stage by stage.</summary>
public sealed class Campaign
{
    public required long Id { get; init; }
    public required CampaignSpec Spec { get; init; }
    public required Release Release { get; init; }
    public string Status { get; set; } = CampaignStatus.Running;
    public string? StatusReason { get; set; }
    /// <summary>Index of the stage being rolled out.</summary>
    public int Stage { get; set; }
    public long? RollbackOf { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset LastTick { get; set; }
    public double SendCredit { get; set; }
    public List<CampaignDevice> Devices { get; } = [];
    internal bool Dirty { get; set; }

    /// <summary>The job id in the OTA command, echoed in every ack and event: `campaign-{id}`.</summary>
    public string JobId => JobIdOf(Id);

    public static string JobIdOf(long id) => $"campaign-{id}";

    public static long? IdOfJob(string? jobId) =>
        jobId is not null && jobId.StartsWith("campaign-", StringComparison.Ordinal) && long.TryParse(jobId.AsSpan(9), out var id) ? id : null;
}
