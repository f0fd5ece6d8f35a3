using System.Data.Common;
using System.Text.Json.Nodes;
using Iot.Fleet.Rules;

namespace Iot.Fleet.Leads;

/// <summary>
/// Where the lead store announces a new or merged lead, inside the transaction that saves it, so a crash keeps the
/// lead and its announcement both or neither. The notifications' outbox is the one; the seam lets leads sit below
/// the notifications that read them.
/// </summary>
public interface ILeadOutbox
{
    /// <summary>Queues <paramref name="event"/> about the lead once per <paramref name="key"/>; false when it was queued before.</summary>
    bool EnqueueLead(DbConnection connection, DbTransaction tx, string @event, string key, Lead lead, JsonObject? extra = null);

    /// <summary>Called after the commit: the outbox may deliver now.</summary>
    void Wake();
}

/// <summary>The announcements the lead store makes.</summary>
public static class LeadEvents
{
    /// <summary>An enforcement lead was raised (status `new`).</summary>
    public const string New = "lead.new";

    /// <summary>Late records joined a lead's episode to an earlier lead's; the message names both ("lead 123 merged into 98").</summary>
    public const string Merged = "lead.merged";
}
