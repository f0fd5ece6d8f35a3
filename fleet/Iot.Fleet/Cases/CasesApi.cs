using Iot.Fleet.Api;
using Microsoft.AspNetCore.Http.HttpResults;
using Iot.Fleet.Audit;
using Iot.Fleet.Commissioning;
using Iot.Fleet.Glossary;
using Iot.Fleet.Leads;
using Iot.Fleet.People;
using Iot.Fleet.Photos;
using Iot.Fleet.Registry;

namespace Iot.Fleet.Cases;

/// <summary>Body of POST /api/squads.</summary>
public sealed record SquadRequest(string Id, string Name, List<string>? Grids, List<string>? Members);

/// <summary>Body of acknowledge (optional).</summary>
public sealed record AcknowledgeRequest(string? Note);

/// <summary>Body of dispatch: a squad id, or none for the squad owning the site's grid.</summary>
public sealed record DispatchRequest(string? Squad, string? Note);

/// <summary>Body of result: `violation_found` or `no_violation`, what was found; the arrival is the check-in's, or typed here
/// (`arrivedAt` with `arrivalReason`) when nobody checked in, or now.</summary>
public sealed record ResultRequest(string Result, string? Note, DateTimeOffset? ArrivedAt, string? ArrivalReason = null);

/// <summary>Body of checkin: the phone's location (`lat`, `lon` in degrees, `accuracy` in metres), or when it has none
/// `arrivedAt` typed with the `reason`.</summary>
public sealed record CheckInRequest(double? Lat, double? Lon, double? Accuracy, DateTimeOffset? ArrivedAt, string? Reason);

/// <summary>Body of file: the penalty case's number (案号).</summary>
public sealed record FileRequest(string? CaseNumber);

/// <summary>Body of verify: what the verification (核查) found.</summary>
public sealed record VerifyRequest(string? Note);

/// <summary>Body of feedback: a channel from GET /api/cases/feedback-channels and what was said.</summary>
public sealed record FeedbackRequest(string? Channel, string? Text);

/// <summary>Body of minor: an inspector treats the violation as minor (`true`: a notice) or not (`false`: the penalty
/// path), against the fleet's judgement, and says why.</summary>
public sealed record MinorRequest(bool Minor, string? Reason);

/// <summary>Body of commitment: the operator's commitment letter (承诺书); `scan` is an optional data URL of a JPEG or PNG.</summary>
public sealed record CommitmentRequest(
    string? SignedBy,
    DateTimeOffset? SignedAt,
    string? Text,
    string? Reference,
    string? Scan);

/// <summary>Body of deadline: when the operator must have put things right.</summary>
public sealed record DeadlineRequest(DateTimeOffset Due, string? Note);

/// <summary>Body of recheck: `rectified` or `not_rectified`.</summary>
public sealed record RecheckRequest(string Result, string? Note);

/// <summary>Body of close: `confirmed` (a filed penalty case with its fine in yuan), or `dismissed` with a reason from
/// GET /api/cases/dismiss-reasons.</summary>
public sealed record CloseRequest(string Outcome, string? Reason, string? Note, decimal? FineYuan = null);

/// <summary>The closed loop over HTTP: squads, and per enforcement lead its case (`/api/leads/{id}/case/...`).
/// Writes are for inspectors and admins and are audited; reads of cases for those who read leads (not installers).</summary>
public static class CasesApi
{
    public static void MapCasesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Cases").RequireAuthorization();

        api.MapPost("/squads", Results<Created<Squad>, Ok<Squad>> (SquadRequest body, Squads squads, HttpContext http) =>
            {
                var (saved, before) = squads.Save(new Squad(body.Id ?? "", body.Name ?? "", body.Grids ?? [], body.Members ?? []));
                AuditScope.Of(http).Describe($"squad:{saved.Id}", before, saved);
                return before is null ? TypedResults.Created($"/api/squads/{saved.Id}", saved) : TypedResults.Ok(saved);
            })
            .RequireRoles()
            .Audited("squad.save");
        api.MapGet("/squads", (PageRequest page, Squads squads) => page.Of(squads.All(), q => q.Id));
        api.MapGet("/squads/{id}", (string id, Squads squads) => TypedResults.Ok(squads.Find(id) ?? throw RefusalException.NotFound("squad", id)));

        api.MapGet("/cases", (string? status, string? squad, string? grid, bool? overdue, PageRequest page, CaseStore cases) =>
            status is not null && !CaseStatus.All.Contains(status)
                ? throw new RefusalException($"unknown status '{status}'; known: {string.Join(", ", CaseStatus.All)}")
                : TypedResults.Ok(cases.Find(new CaseQuery(status, squad, grid, overdue), page)))
            .RequireRoles(Roles.LeadReading);
        api.MapGet("/cases/dismiss-reasons", () => CaseRules.DismissReasons);
        api.MapGet("/cases/feedback-channels", () => CaseRules.FeedbackChannels.Select(c => new FeedbackChannel(c, BureauWords.Zh($"feedback.{c}") ?? c, BureauWords.En($"feedback.{c}") ?? c)));
        api.MapGet("/leads/{id:long}/case", (long id, CaseStore cases) => TypedResults.Ok(cases.Get(id))).RequireRoles(Roles.LeadReading);

        var step = api.MapGroup("/leads/{id:long}/case").RequireRoles(Roles.LeadHandling);
        step.MapPost("/acknowledge", (long id, AcknowledgeRequest? body, CaseStore cases, HttpContext http) =>
            TypedResults.Ok(cases.Acknowledge(id, Actor(http), body?.Note, AuditScope.Of(http)))).Audited("case.acknowledge");
        step.MapPost("/dispatch", (long id, DispatchRequest? body, CaseStore cases, HttpContext http) =>
            TypedResults.Ok(cases.Dispatch(id, body?.Squad, Actor(http), body?.Note, AuditScope.Of(http)))).Audited("case.dispatch");
        step.MapPost("/result", (long id, ResultRequest body, CaseStore cases, HttpContext http) =>
            TypedResults.Ok(cases.Result(id, body.Result ?? "", body.Note, body.ArrivedAt, Actor(http), AuditScope.Of(http), body.ArrivalReason))).Audited("case.result");
        step.MapPost("/checkin", (long id, CheckInRequest body, CaseStore cases, HttpContext http) =>
            TypedResults.Ok(cases.CheckIn(id, ArrivalFix.From(body.Lat, body.Lon, body.Accuracy), body.ArrivedAt, body.Reason, Actor(http), AuditScope.Of(http))))
            .Audited("case.checkin");
        step.MapPost("/file", (long id, FileRequest body, CaseStore cases, HttpContext http) =>
            TypedResults.Ok(cases.File(id, body.CaseNumber, Actor(http), AuditScope.Of(http)))).Audited("case.file");
        step.MapPost("/verify", (long id, VerifyRequest body, CaseStore cases, HttpContext http) =>
            TypedResults.Ok(cases.Verify(id, body.Note, Actor(http), AuditScope.Of(http)))).Audited("case.verify");
        step.MapPost("/feedback", (long id, FeedbackRequest body, CaseStore cases, HttpContext http) =>
            TypedResults.Ok(cases.Feedback(id, body.Channel, body.Text, Actor(http), AuditScope.Of(http)))).Audited("case.feedback");
        step.MapPost("/minor", (long id, MinorRequest body, CaseStore cases, HttpContext http) =>
            TypedResults.Ok(cases.Minor(id, body.Minor, body.Reason, Actor(http), AuditScope.Of(http)))).Audited("case.minor");
        step.MapPost("/commitment", (long id, CommitmentRequest body, CaseStore cases, HttpContext http) =>
            {
                var letter = new CommitmentLetter(body.SignedBy, body.SignedAt, body.Text, body.Reference,
                    CommissioningPhoto.FromDataUrl(body.Scan, "scan"));
                return TypedResults.Ok(cases.Commitment(id, letter, Actor(http), AuditScope.Of(http)));
            })
            .Audited("case.commitment")
            .WithBodyLimit(CommissioningPhoto.MaxUploadBytes / 3 * 4 + 64 * 1024); // the scan as base64, and the text
        api.MapGet("/leads/{id:long}/case/commitment/scan", (long id, CaseStore cases) => cases.CommitmentScan(id) switch
            {
                null => throw new RefusalException("no scan of a commitment letter", StatusCodes.Status404NotFound),
                // As a commissioning photo: an image only when it is what it says, else a download.
                { } scan when scan.IsImage => TypedResults.File(scan.Bytes, scan.ContentType),
                { } scan => TypedResults.File(scan.Bytes, "application/octet-stream", $"commitment-{id}-scan.bin"),
            })
            .RequireRoles(Roles.LeadReading);
        step.MapPost("/deadline", (long id, DeadlineRequest body, CaseStore cases, HttpContext http) =>
            TypedResults.Ok(cases.Deadline(id, body.Due, body.Note, Actor(http), AuditScope.Of(http)))).Audited("case.deadline");
        step.MapPost("/recheck", (long id, RecheckRequest body, CaseStore cases, HttpContext http) =>
            TypedResults.Ok(cases.Recheck(id, body.Result ?? "", body.Note, Actor(http), AuditScope.Of(http)))).Audited("case.recheck");
        step.MapPost("/close", (long id, CloseRequest body, CaseStore cases, HttpContext http) =>
            TypedResults.Ok(cases.Close(id, body.Outcome ?? "", body.Reason, body.Note, Actor(http), AuditScope.Of(http), body.FineYuan))).Audited("case.close");
    }

    /// <summary>Who takes the step, as the case history names them (a login, or admin-token).</summary>
    private static string Actor(HttpContext http) => AuditActor.Of(http.User).Name;
}
