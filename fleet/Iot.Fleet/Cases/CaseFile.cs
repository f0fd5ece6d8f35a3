using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Iot.Fleet.Photos;
using Iot.Fleet.Rules;

namespace Iot.Fleet.Cases;

/// <summary>
/// States of a case, the inspectors' handling of one enforcement lead (the closed loop of domain.md). Kept in the
/// `cases` table, apart from the lead's pipeline status, so the rules engine growing an episode never touches it.
/// <code>
/// open ─acknowledge→ acknowledged ─dispatch→ dispatched (─dispatch→ dispatched: another squad)
/// dispatched ─result→ no_violation | violation_found | noticed (violation_found + a minor first offence: notice step)
/// violation_found ─minor (reason)→ noticed, noticed ─not minor (reason)→ violation_found: the inspector overrides
/// noticed (and on, while notice is set) ─commitment→ same state: the operator's signed 承诺书 recorded
/// violation_found | noticed | not_rectified ─deadline→ rectifying ─recheck→ rectified | not_rectified
/// violation_found | noticed | rectified | not_rectified ─close confirmed→ confirmed
/// any state but confirmed/dismissed ─close dismissed (reason)→ dismissed
/// </code>
/// </summary>
public static class CaseStatus
{
    public const string Open = "open";
    public const string Acknowledged = "acknowledged";
    public const string Dispatched = "dispatched";
    public const string NoViolation = "no_violation";
    public const string ViolationFound = "violation_found";
    /// <summary>A minor first breach: the operator got a notice (告知承诺) instead of the penalty path.</summary>
    public const string Noticed = "noticed";
    public const string Rectifying = "rectifying";
    public const string Rectified = "rectified";
    public const string NotRectified = "not_rectified";
    public const string Confirmed = "confirmed";
    public const string Dismissed = "dismissed";

    public static readonly IReadOnlyList<string> All =
        [Open, Acknowledged, Dispatched, NoViolation, ViolationFound, Noticed, Rectifying, Rectified, NotRectified, Confirmed, Dismissed];

    public static bool IsClosed(string status) => status is Confirmed or Dismissed;
}

/// <summary>The steps of the loop, as written in the case history.</summary>
public static class CaseSteps
{
    public const string Acknowledge = "acknowledge";
    public const string Dispatch = "dispatch";
    public const string Result = "result";
    public const string Notice = "notice";
    /// <summary>An inspector treats the case as minor or not minor, against the fleet's judgement, with a reason.</summary>
    public const string Minor = "minor";
    /// <summary>The operator's commitment letter (承诺书) of a noticed case.</summary>
    public const string Commitment = "commitment";
    public const string Deadline = "deadline";
    public const string Recheck = "recheck";
    public const string Close = "close";
    /// <summary>Written by the fleet when the response target passes with nobody on site.</summary>
    public const string Overdue = "overdue";

    /// <summary>Which states each step may start from.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> AllowedFrom = new Dictionary<string, string[]>
    {
        [Acknowledge] = [CaseStatus.Open],
        [Dispatch] = [CaseStatus.Acknowledged, CaseStatus.Dispatched],
        [Result] = [CaseStatus.Dispatched],
        [Minor] = [CaseStatus.ViolationFound, CaseStatus.Noticed],
        [Commitment] = [CaseStatus.Noticed, CaseStatus.Rectifying, CaseStatus.Rectified, CaseStatus.NotRectified],
        [Deadline] = [CaseStatus.ViolationFound, CaseStatus.Noticed, CaseStatus.NotRectified],
        [Recheck] = [CaseStatus.Rectifying],
        [$"{Close}:{CaseStatus.Confirmed}"] = [CaseStatus.ViolationFound, CaseStatus.Noticed, CaseStatus.Rectified, CaseStatus.NotRectified],
        [$"{Close}:{CaseStatus.Dismissed}"] = [.. CaseStatus.All.Where(s => !CaseStatus.IsClosed(s))],
    };
}

/// <summary>Why a case may be dismissed (the list GET /api/cases/dismiss-reasons shows).</summary>
public sealed record DismissReason(string Id, string Zh, string En);

public static class CaseRules
{
    /// <summary>The bureau's on-site response target for a live lead, from the lead being raised to arrival on site.
    /// A late (backfilled) lead has a review deadline instead (<see cref="ClosedLoopOptions.ReviewHours"/>).</summary>
    public static readonly TimeSpan ResponseTarget = TimeSpan.FromMinutes(30);

    public const string OtherReason = "other";

    public static readonly IReadOnlyList<DismissReason> DismissReasons =
    [
        new("no_violation_on_site", "现场核查未发现违法行为", "no violation found on site"),
        new("device_fault", "监测设备故障或数据异常", "monitoring device fault or bad data"),
        new("permitted", "持有有效许可或已审批作业", "covered by a valid permit or approved work"),
        new("duplicate", "重复线索", "duplicate of another lead"),
        new("outside_jurisdiction", "不属本局管辖", "outside this bureau's jurisdiction"),
        new(OtherReason, "其他（须写明）", "other (say why in the note)"),
    ];
}

/// <summary>One step of a case's history: who moved it from which state to which, when, with what.</summary>
public sealed record CaseStepView(string Step, string From, string To, string By, DateTime At, JsonNode? Data);

/// <summary>A case as the API and the SSE `case` event show it. A live lead has `response_due` (raised + 30 minutes) and
/// is `overdue` when nobody reported from site by then (still waiting, or arrived late). A `late` lead (backfilled) has
/// `review_due` instead, and `review_overdue` when nobody acknowledged or closed it by then; it is never `overdue`.
/// `minor` is the notice-first judgement of a violation found (the fleet's, or an inspector's override).</summary>
/// <remarks>Names pinned in snake_case: also case.json of the signed evidence bundle. The API renames them to camelCase (Api/ApiJson).</remarks>
public sealed record CaseView(
    long Lead,
    string Status,
    string Site,
    string? Grid,
    string Rule,
    string? Squad,
    [property: JsonPropertyName("raised_at")] DateTime RaisedAt,
    bool Late,
    [property: JsonPropertyName("response_due")] DateTime? ResponseDue,
    [property: JsonPropertyName("review_due")] DateTime? ReviewDue,
    [property: JsonPropertyName("responded_at")] DateTime? RespondedAt,
    bool Overdue,
    [property: JsonPropertyName("review_overdue")] bool ReviewOverdue,
    string? Result,
    [property: JsonPropertyName("result_note")] string? ResultNote,
    bool Notice,
    MinorDecision? Minor,
    CommitmentView? Commitment,
    [property: JsonPropertyName("rectify_by")] DateTime? RectifyBy,
    string? Recheck,
    string? Outcome,
    [property: JsonPropertyName("close_reason")] string? CloseReason,
    [property: JsonPropertyName("close_note")] string? CloseNote,
    [property: JsonPropertyName("closed_at")] DateTime? ClosedAt,
    [property: JsonPropertyName("updated_at")] DateTime? UpdatedAt,
    IReadOnlyList<CaseStepView>? History);

/// <summary>The operator's commitment letter (承诺书) of a noticed case: who signed it for the operator and when, its
/// text or a reference to the paper, and whether a scan is kept (GET /api/leads/{id}/case/commitment/scan).</summary>
/// <remarks>Names pinned in snake_case: also case.json of the signed evidence bundle. The API renames them to camelCase (Api/ApiJson).</remarks>
public sealed record CommitmentView(
    [property: JsonPropertyName("signed_by")] string SignedBy,
    [property: JsonPropertyName("signed_at")] DateTime SignedAt,
    string? Text,
    string? Reference,
    [property: JsonPropertyName("has_scan")] bool HasScan,
    [property: JsonPropertyName("recorded_by")] string RecordedBy,
    [property: JsonPropertyName("recorded_at")] DateTime RecordedAt);

/// <summary>An operator's commitment letter (承诺书) as an inspector records it: who signed for the operator, when, the
/// text or a reference to the signed paper, and an optional scan (already re-encoded). No `SignedAt`: now.</summary>
public sealed record CommitmentLetter(string? SignedBy, DateTimeOffset? SignedAt, string? Text, string? Reference, Photos.CommissioningPhoto? Scan)
{
    public const int MaxTextLength = 8000;
}

/// <summary>Filters of GET /api/cases; each optional.</summary>
public sealed record CaseQuery(string? Status = null, string? Squad = null, string? Grid = null, bool? Overdue = null, int Limit = 500);
