using System.Text.Json.Serialization;
using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.People;
using Iot.Fleet.Registry;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Leads;

/// <summary>A lead or alert as outside tools see it (`start`/`end`: first and last breaching window start, UTC;
/// `profile`/`profile_version`: the rule profile version it was judged by;
/// `night`: a lead of a night rule, whose `permit` is the night-work permit its windows overlap, or null;
/// `merged_into`: for status `merged`, the lead late records joined this one's episode to;
/// `evidence`: `calibrated`, `uncalibrated` (not evidence-grade) or null when calibration is not required).</summary>
/// <remarks>Names pinned in snake_case: also lead.json of the signed evidence bundle and the notification payload sent to outside systems. The API renames them to camelCase (Api/ApiJson).</remarks>
public sealed record LeadView(long Id, string Rule, string Site, IReadOnlyCollection<string> Devices, DateTime Start, DateTime End,
    double Value, double Limit, string Unit, bool Late, string Status, bool Night, long? Permit,
    string Profile, [property: JsonPropertyName("profile_version")] int ProfileVersion,
    [property: JsonPropertyName("merged_into")] long? MergedInto = null, string? Evidence = null)
{
    private static readonly HashSet<string> NightRules = [.. Rules.Rule.All.Where(r => r.AtNight).Select(r => r.Id)];

    public static LeadView Of(Lead l) => new(l.Id, l.Rule, l.Site, l.Devices, l.Start.UtcDateTime, l.End.UtcDateTime, l.Value, l.Limit, l.Unit, l.Late, l.Status,
        NightRules.Contains(l.Rule), l.Permit, l.Profile, l.ProfileVersion, l.MergedInto, l.Evidence);
}

/// <summary>One record behind a lead, with its quality bits and the device's proof of the message it came in
/// (Ingest/ProofStatus: "hmac-sha256", "unproven", or null for messages stored before proofs existed).</summary>
public sealed record EvidenceRecord(string Device, uint Seq, DateTime Start, int Duration, int Quality, bool IsEvidence,
    IReadOnlyDictionary<string, double> Measurements, string? Firmware, DateTime ReceivedAt, string? Proof = null);

/// <summary>Whether a lead's evidence records carry their device's proof: all of them, some, or none.</summary>
public static class LeadProof
{
    public const string Verified = "verified";
    public const string Partly = "partly";
    public const string Unproven = "unproven";

    public static string Of(IEnumerable<EvidenceRecord> records)
    {
        var evidence = records.Where(r => r.IsEvidence).ToList();
        int verified = evidence.Count(r => r.Proof == ProofStatus.Verified);
        return evidence.Count > 0 && verified == evidence.Count ? Verified : verified > 0 ? Partly : Unproven;
    }
}

/// <summary>GET /api/leads/{id}: the lead, what it rests on, and its history (merges, cuts, withdrawals); `meters`: the meters
/// its windows rest on with the calibration that covered them, `background`: the site's background noise in force at its
/// first window, `readings`: each breaching window measured and as corrected for the background (Leads/LeadReadings);
/// `evasion`: what a suspected-evasion lead rests on, `silence` or `tamper` (Rules/SuspectedEvasion).</summary>
public sealed record LeadEvidence(LeadView Lead, int WindowMinutes, DateTime RaisedAt, string? Detail, ProfileVersionView? Profile,
    IReadOnlyList<DeviceView> Devices, IReadOnlyList<EvidenceRecord> Records, IReadOnlyList<LeadHistoryEntry>? History = null,
    IReadOnlyList<Meters.MeterEvidence>? Meters = null, BackgroundLevel? Background = null, IReadOnlyList<LeadReading>? Readings = null,
    string? Proof = null, string? Evasion = null);

/// <summary>The enforcement lead queue (inspectors, engineers, admins) and the integrity alert queue (anyone signed in).</summary>
public static class LeadsApi
{
    public static void MapLeadsApi(this IEndpointRouteBuilder app)
    {
        // Installers need neither the lead queue nor its stream; the integrity alerts of their gateways they may read.
        var api = app.MapGroup("/api").WithTags("Leads").RequireAuthorization();
        api.MapGet("/leads", (DateTimeOffset? since, DateTimeOffset? until, string? rule, string? site, string? status, string? permit, PageRequest page,
                LeadStore store) =>
            permit is null or LeadQuery.WithPermit or LeadQuery.WithoutPermit
                ? TypedResults.Ok(View(store.Find(LeadQueue.Enforcement, new LeadQuery(since, until, rule, site, status, permit), page)))
                : throw new RefusalException($"permit must be {LeadQuery.WithPermit} or {LeadQuery.WithoutPermit}, not '{permit}'"))
            .RequireRoles(Roles.LeadReading);
        api.MapGet("/alerts", (DateTimeOffset? since, DateTimeOffset? until, string? rule, string? site, string? status, PageRequest page, LeadStore store) =>
            View(store.Find(LeadQueue.Integrity, new LeadQuery(since, until, rule, site, status), page)));
        // Engineers' handling of alerts: `ids` (at most 200) gives each one's state, open ones too.
        api.MapGet("/alerts/handling", (string? ids, AlertHandling handling) =>
        {
            var wanted = (ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(i => long.TryParse(i, out var id) ? id : throw new RefusalException($"`ids` holds alert ids (numbers), not '{i}'")).Distinct().ToList();
            if (wanted.Count > 200) throw new RefusalException($"`ids` names {wanted.Count} alerts; at most 200 at a time");
            return TypedResults.Ok(handling.Of(wanted));
        });
        api.MapPost("/alerts/{id:long}/acknowledge", (long id, AlertStep? body, HttpContext http, AlertHandling handling) =>
                TypedResults.Ok(handling.Acknowledge(id, body?.Note, AuditScope.Of(http))))
            .RequireRoles(Roles.Maintaining).Audited("alert.acknowledge");
        api.MapPost("/alerts/{id:long}/resolve", (long id, AlertStep? body, HttpContext http, AlertHandling handling) =>
                TypedResults.Ok(handling.Resolve(id, body?.Note, AuditScope.Of(http))))
            .RequireRoles(Roles.Maintaining).Audited("alert.resolve");
        api.MapGet("/leads/stream", (HttpContext context, LeadFeed feed, Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json) =>
            feed.Stream(context, json.Value.SerializerOptions)).ExcludeFromDescription().RequireRoles(Roles.LeadReading);
        api.MapGet("/leads/{id:long}", (long id, LeadStore store, RecordJournal journal, SiteRegistry registry, Meters.MeterRegister meters, LeadReadings readings) =>
            store.Get(id) is { } lead
                ? TypedResults.Ok(Evidence(lead, journal, registry) with
                {
                    History = store.History(id), Meters = meters.Behind(lead), Readings = readings.Of(lead), Background = readings.BackgroundOf(lead),
                })
                : throw RefusalException.NotFound("lead", id)).RequireRoles(Roles.LeadReading);
        api.MapGet("/alerts/{id:long}", (long id, LeadStore store, RecordJournal journal, SiteRegistry registry) =>
            store.Get(id) is { Queue: LeadQueue.Integrity } alert ? TypedResults.Ok(Evidence(alert, journal, registry)) : throw RefusalException.NotFound("alert", id));
    }

    private static Page<LeadView> View(Page<Lead> page) => new([.. page.Items.Select(LeadView.Of)], page.Next, page.Total);

    /// <summary>The records of the lead's devices over all its windows: from the first window's start
    /// to the last window's end.</summary>
    public static LeadEvidence Evidence(Lead lead, RecordJournal journal, SiteRegistry registry)
    {
        var from = lead.StartMinute * 60;
        var to = (lead.EndMinute + lead.WindowMinutes) * 60;
        var proofs = lead.Devices.ToDictionary(d => d, d => journal.ProofsBetween(d, from, to), StringComparer.Ordinal);
        var records = lead.Devices
            .SelectMany(d => journal.Between(d, from, to))
            .OrderBy(r => r.Time).ThenBy(r => r.Device, StringComparer.Ordinal)
            .Select(r => new EvidenceRecord(r.Device, r.Seq, r.Start.UtcDateTime, r.Duration, r.Quality, r.IsEvidence, r.Measurements, r.Firmware, r.ReceivedAt.UtcDateTime,
                proofs[r.Device].TryGetValue(r.Seq, out var proof) ? proof?.Status : null))
            .ToList();
        var devices = lead.Devices.Select(registry.View).OfType<DeviceView>().ToList();
        // The version the lead was judged by, not the current one: old leads stay explainable.
        var profile = registry.ProfileVersion(lead.Profile, lead.ProfileVersion) is { } judgedBy ? ProfileVersionView.Of(judgedBy) : null;
        return new LeadEvidence(LeadView.Of(lead), lead.WindowMinutes, lead.RaisedAt.UtcDateTime, lead.Detail, profile, devices, records)
        {
            Proof = LeadProof.Of(records), Evasion = SuspectedEvasion.CauseOf(lead),
        };
    }
}
