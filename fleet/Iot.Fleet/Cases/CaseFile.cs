using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Iot.Fleet.Photos;
using Iot.Fleet.Rules;

namespace Iot.Fleet.Cases;

/// <summary>
/// States of a case, the inspectors' handling of one enforcement lead (the closed loop of domain.md). Kept in the
/// `cases` table, apart from the lead's pipeline status, so the rules engine growing an episode never touches it.
/// <code>
/// open ─acknowledge (立案)→ acknowledged ─dispatch→ dispatched (─dispatch→ dispatched: another squad)
/// dispatched ─checkin→ same state: arrival on site, by the phone's location (or typed, with a reason)
/// dispatched ─result→ no_violation | violation_found | noticed (violation_found + a minor first offence: notice step)
/// violation_found ─minor (reason)→ noticed, noticed ─not minor (reason)→ violation_found: the inspector overrides
/// noticed (and on, while notice is set) ─commitment→ same state: the operator's signed 承诺书 recorded
/// violation_found | noticed | not_rectified ─deadline→ rectifying ─recheck→ rectified | not_rectified
/// violation_found | rectifying | rectified | not_rectified (not noticed) ─file→ same state: the penalty case's number (案号)
/// no_violation | violation_found | noticed | rectified | not_rectified ─verify→ same state: 核查 by someone independent
/// violation_found | noticed | rectified | not_rectified ─close confirmed (verified; a filed case with its fine)→ confirmed
/// any state but confirmed/dismissed ─close dismissed (reason)→ dismissed
/// any state but open ─feedback (channel, text)→ same state: 反馈 to the complainant, the party or a city platform
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
    /// <summary>Arrival on site (到场签到): the phone's location with its accuracy, or a typed time with the reason.</summary>
    public const string CheckIn = "checkin";
    /// <summary>The penalty case filed (处罚立案): its case number (案号), unique in the bureau.</summary>
    public const string File = "file";
    public const string Deadline = "deadline";
    public const string Recheck = "recheck";
    /// <summary>Independent verification (核查) of the result before the case closes as confirmed.</summary>
    public const string Verify = "verify";
    /// <summary>Feedback (反馈) to the complainant, the party or a city platform: its channel and what was said.</summary>
    public const string Feedback = "feedback";
    public const string Close = "close";
    /// <summary>Written by the fleet when the response target passes with nobody on site.</summary>
    public const string Overdue = "overdue";

    /// <summary>Which states each step may start from.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> AllowedFrom = new Dictionary<string, string[]>
    {
        [Acknowledge] = [CaseStatus.Open],
        [Dispatch] = [CaseStatus.Acknowledged, CaseStatus.Dispatched],
        [CheckIn] = [CaseStatus.Dispatched],
        [Result] = [CaseStatus.Dispatched],
        [File] = [CaseStatus.ViolationFound, CaseStatus.Rectifying, CaseStatus.Rectified, CaseStatus.NotRectified],
        [Minor] = [CaseStatus.ViolationFound, CaseStatus.Noticed],
        [Commitment] = [CaseStatus.Noticed, CaseStatus.Rectifying, CaseStatus.Rectified, CaseStatus.NotRectified],
        [Deadline] = [CaseStatus.ViolationFound, CaseStatus.Noticed, CaseStatus.NotRectified],
        [Recheck] = [CaseStatus.Rectifying],
        [Verify] = [CaseStatus.NoViolation, CaseStatus.ViolationFound, CaseStatus.Noticed, CaseStatus.Rectified, CaseStatus.NotRectified],
        [$"{Close}:{CaseStatus.Confirmed}"] = [CaseStatus.ViolationFound, CaseStatus.Noticed, CaseStatus.Rectified, CaseStatus.NotRectified],
        [$"{Close}:{CaseStatus.Dismissed}"] = [.. CaseStatus.All.Where(s => !CaseStatus.IsClosed(s))],
        [Feedback] = [.. CaseStatus.All.Where(s => s != CaseStatus.Open)],
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
        new("permitted", "持有有效夜间施工证明（已报备）或属经批准的作业", "covered by a night-work certificate (registered) or approved work"),
        new("duplicate", "重复线索", "duplicate of another lead"),
        new("outside_jurisdiction", "不属本局管辖", "outside this bureau's jurisdiction"),
        new(OtherReason, "其他（须写明）", "other (say why in the note)"),
    ];

    /// <summary>Where feedback (反馈) goes; the words are the glossary's (`feedback.{id}`).</summary>
    public static readonly IReadOnlyList<string> FeedbackChannels = [ComplainantChannel, "party", "hotline_12345", "grid_platform"];

    /// <summary>Feedback to the complainant; it answers the complaints linked to the lead (Complaints/).</summary>
    public const string ComplainantChannel = "complainant";

    public const int MaxFeedbackLength = 500;

    /// <summary>A penalty case number (案号) as bureaus write it, e.g. 杭综执罚决字〔2026〕第 123 号: any text up to this
    /// long, without control characters; unique in the bureau.</summary>
    public const int MaxCaseNumberLength = 64;

    /// <summary>The largest fine recorded, in yuan: above any fine the noise, air and city-appearance rules allow.</summary>
    public const decimal MaxFineYuan = 10_000_000m;

    /// <summary>Earth's mean radius, for the distance of a check-in from its site.</summary>
    public const double EarthRadiusMeters = 6_371_008.8;

    /// <summary>Great-circle distance in metres between two WGS-84 points (haversine).</summary>
    public static double DistanceMeters(double lat1, double lon1, double lat2, double lon2)
    {
        static double Rad(double d) => d * Math.PI / 180;
        var a = Math.Pow(Math.Sin(Rad(lat2 - lat1) / 2), 2) + Math.Cos(Rad(lat1)) * Math.Cos(Rad(lat2)) * Math.Pow(Math.Sin(Rad(lon2 - lon1) / 2), 2);
        return 2 * EarthRadiusMeters * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }
}

/// <summary>A feedback channel with its words, as GET /api/cases/feedback-channels lists them.</summary>
public sealed record FeedbackChannel(string Id, string Zh, string En);

/// <summary>Arrival on site: where the phone was (WGS-84, with its accuracy) and how far from the site's coordinates, or the
/// time typed by hand with the reason the location was unavailable. `far`: further than the bureau's radius plus the
/// accuracy, or no site coordinates to compare with; a far check-in is kept and flagged, not refused.</summary>
/// <remarks>Names pinned in snake_case: also case.json of the signed evidence bundle.</remarks>
public sealed record CheckInView(
    DateTime At,
    double? Lat,
    double? Lon,
    [property: JsonPropertyName("accuracy_m")] double? AccuracyM,
    [property: JsonPropertyName("distance_m")] double? DistanceM,
    bool Far,
    string? Reason,
    string By);

/// <summary>Who verified (核查) the case's result, when, and what they noted.</summary>
public sealed record VerificationView(string By, DateTime At, string Note);

/// <summary>One feedback (反馈): to whom by which channel, what was said, by whom and when.</summary>
public sealed record FeedbackView(string Channel, string Text, string By, DateTime At);

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
    [property: JsonPropertyName("check_in")] CheckInView? CheckIn,
    [property: JsonPropertyName("case_number")] string? CaseNumber,
    [property: JsonPropertyName("fine_yuan")] decimal? FineYuan,
    VerificationView? Verification,
    IReadOnlyList<FeedbackView> Feedback,
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

/// <summary>Where the phone was at a check-in (WGS-84 degrees, as navigator.geolocation gives them) and how sure it was, in metres.</summary>
public sealed record ArrivalFix(double Lat, double Lon, double Accuracy)
{
    /// <summary>A phone that says it is unsure by more than this has no useful location.</summary>
    public const double MaxAccuracyMeters = 50_000;

    /// <summary>A fix from the request's three fields: all or none (null), each a number.</summary>
    public static ArrivalFix? From(double? lat, double? lon, double? accuracy) => (lat, lon, accuracy) switch
    {
        (null, null, null) => null,
        ({ } a, { } o, { } m) => new ArrivalFix(a, o, m),
        _ => throw new Api.RefusalException("a location needs `lat`, `lon` and `accuracy` (metres) together", StatusCodes.Status400BadRequest),
    };

    /// <summary>Refuses what no phone reports: out-of-range degrees, 0,0 (no fix), an accuracy that is none.</summary>
    public void Check()
    {
        if (!double.IsFinite(Lat) || Lat is < -90 or > 90) throw new Api.RefusalException($"lat {Lat} is not a latitude (-90 to 90 degrees)", StatusCodes.Status400BadRequest);
        if (!double.IsFinite(Lon) || Lon is < -180 or > 180) throw new Api.RefusalException($"lon {Lon} is not a longitude (-180 to 180 degrees)", StatusCodes.Status400BadRequest);
        if (Lat == 0 && Lon == 0) throw new Api.RefusalException("0, 0 is a phone without a fix, not a place: type the arrival with a reason instead", StatusCodes.Status400BadRequest);
        if (!double.IsFinite(Accuracy) || Accuracy is <= 0 or > MaxAccuracyMeters)
            throw new Api.RefusalException($"accuracy {Accuracy} m is not a phone's accuracy (above 0, at most {MaxAccuracyMeters} m)", StatusCodes.Status400BadRequest);
    }
}
