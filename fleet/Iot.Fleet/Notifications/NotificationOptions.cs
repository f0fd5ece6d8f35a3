using Iot.Fleet.Leads;

namespace Iot.Fleet.Notifications;

/// <summary>Options of the notifications (section "Notifications").</summary>
public sealed class NotificationOptions
{
    /// <summary>Where events go; none configured means nothing is queued.</summary>
    public List<NotificationTarget> Targets { get; set; } = [];

    /// <summary>First retry delay; each failure doubles it up to <see cref="MaxDelaySeconds"/>, with jitter.</summary>
    public double BaseDelaySeconds { get; set; } = 5;

    /// <summary>Cap of the retry delay: a failing target is tried at least this often, for ever.</summary>
    public double MaxDelaySeconds { get; set; } = 600;

    public double TimeoutSeconds { get; set; } = 15;

    /// <summary>Address of the fleet's pages, for links in messages (e.g. https://fleet.example.gov.cn); optional.</summary>
    public string? PublicUrl { get; set; }
}

/// <summary>One receiver: a DingTalk group robot or a generic JSON webhook.</summary>
public sealed class NotificationTarget
{
    /// <summary>Stable name of the target, part of every idempotency key; defaults to kind:host/path (never the query,
    /// which holds DingTalk's access token).</summary>
    public string? Name { get; set; }

    /// <summary>`dingtalk` or `webhook`.</summary>
    public string Kind { get; set; } = TargetKinds.Webhook;
    public string Url { get; set; } = "";

    /// <summary>DingTalk: the robot's `SEC…` signing secret; webhook: the HMAC key. Kept in configuration only.</summary>
    public string? Secret { get; set; }

    /// <summary>Events sent to this target (<see cref="NotificationEvents"/>); empty means all.</summary>
    public List<string> Events { get; set; } = [];

    public string Key => Name is { Length: > 0 } name ? name
        : Uri.TryCreate(Url, UriKind.Absolute, out var uri) ? $"{Kind}:{uri.Host}{(uri.IsDefaultPort ? "" : $":{uri.Port}")}{uri.AbsolutePath}" : $"{Kind}:{Url}";

    public bool Wants(string @event) => Events.Count == 0 || Events.Contains(@event, StringComparer.Ordinal);
}

public static class TargetKinds
{
    public const string DingTalk = "dingtalk";
    public const string Webhook = "webhook";
}

/// <summary>The events the fleet announces.</summary>
public static class NotificationEvents
{
    /// <summary>An enforcement lead was raised (status `new`).</summary>
    public const string LeadNew = LeadEvents.New;
    /// <summary>A case was dispatched (or re-dispatched) to a squad.</summary>
    public const string LeadDispatched = "lead.dispatched";
    /// <summary>A lead passed its 30-minute response target without anyone on site.</summary>
    public const string LeadOverdue = "lead.overdue";

    /// <summary>Late records joined a lead's episode to an earlier lead's; the message names both ("lead 123 merged into 98").</summary>
    public const string LeadMerged = LeadEvents.Merged;

    public static readonly IReadOnlyList<string> All = [LeadNew, LeadDispatched, LeadOverdue, LeadMerged];
}
