using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.Glossary;

namespace Iot.Fleet.Complaints;

/// <summary>A code with its words, for the page's choices (GET /api/complaints/words).</summary>
public sealed record ComplaintWord(string Id, string Zh, string En);

/// <summary>The complaints register over HTTP: record, list, read and answer. Complaints carry personal data (the
/// complainant's contact) and what people wrote, so all of it is for those who handle cases (<see cref="Roles.Complaints"/>);
/// the monthly report's counts are for every lead reader.</summary>
public static class ComplaintsApi
{
    public static IServiceCollection AddComplaints(this IServiceCollection services)
    {
        services.AddOptions<ComplaintOptions>().BindConfiguration("Complaints")
            .Validate(o => o.AnswerDays is >= 1 and <= 90, "Complaints:AnswerDays: give the calendar days (1 to 90) a complaint has to be answered in")
            .ValidateOnStart();
        services.AddSingleton<ComplaintRegister>();
        return services;
    }

    public static IEndpointRouteBuilder MapComplaintsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/complaints").WithTags("Complaints").RequireRoles(Roles.Complaints);
        api.MapPost("", (ComplaintRequest body, HttpContext http, ComplaintRegister complaints) =>
            {
                var complaint = complaints.Add(body, AuditScope.Of(http));
                return TypedResults.Created($"/api/complaints/{complaint.Id}", complaint);
            })
            .Audited("complaint.create");
        api.MapGet("", (string? month, string? answered, string? site, PageRequest page, ComplaintRegister complaints) =>
            TypedResults.Ok(complaints.Find(new ComplaintQuery(month, Answered(answered), site is { Length: > 0 } ? site : null), page)));
        api.MapGet("/words", () => new
        {
            channels = Words(ComplaintRules.Channels, "complaint.channel."),
            kinds = Words(ComplaintRules.Kinds, "kind."),
            answerChannels = Words(ComplaintRules.AnswerChannels.Where(c => c != ComplaintRules.CaseFeedback), "complaint.answer."),
        });
        api.MapGet("/{id:long}", (long id, ComplaintRegister complaints) =>
            TypedResults.Ok(complaints.Get(id, withContact: true) ?? throw RefusalException.NotFound("complaint", id)));
        api.MapPost("/{id:long}/answer", (long id, AnswerRequest body, HttpContext http, ComplaintRegister complaints) =>
                TypedResults.Ok(complaints.Answer(id, body, AuditScope.Of(http))))
            .Audited("complaint.answer");
        return app;
    }

    /// <summary>`answered=true|false`, or absent for both; anything else is a 400.</summary>
    private static bool? Answered(string? answered) => answered switch
    {
        null or "" => null,
        "true" => true,
        "false" => false,
        _ => throw new RefusalException($"answered is true or false, not '{answered}'"),
    };

    private static IEnumerable<ComplaintWord> Words(IEnumerable<string> codes, string prefix) =>
        codes.Select(c => new ComplaintWord(c, BureauWords.Zh(prefix + c) ?? c, BureauWords.En(prefix + c) ?? c)).ToList();
}
