using Iot.Fleet.Glossary;

namespace Iot.Fleet.Complaints;

/// <summary>Body of POST /api/complaints: when it came in (`receivedAt`, any offset; stored as UTC), how (`channel`), what
/// about (`kind`), the `site` (a registered site id) or an `address` in words, the complaint's `text`, the complainant's
/// `contact` (personal data: kept for the answer, shown only in the complaint's own view), an optional `lead` it led to or
/// belongs to, and the platform's `reference` (a 12345 work order number).</summary>
public sealed record ComplaintRequest(
    DateTimeOffset? ReceivedAt,
    string? Channel,
    string? Kind,
    string? Site = null,
    string? Address = null,
    string? Text = null,
    string? Contact = null,
    long? Lead = null,
    string? Reference = null);

/// <summary>Body of POST /api/complaints/{id}/answer: when (`answeredAt`, default now), who answered (`by`, default the
/// signed-in person), how (`channel`, <see cref="ComplaintRules.AnswerChannels"/>) and what was said.</summary>
public sealed record AnswerRequest(DateTimeOffset? AnsweredAt, string? By, string? Channel, string? Text);

/// <summary>A complaint's answer (答复); `onTime` when it came within <see cref="ComplaintOptions.AnswerDays"/> of receipt.</summary>
public sealed record ComplaintAnswer(DateTime At, string By, string Channel, string Text, bool OnTime);

/// <summary>A complaint as the API shows it. `contact` is the complainant's and is set only in GET /api/complaints/{id};
/// lists, exports and the audit log say only `hasContact`. `answerDue` is received + the answer days; `overdue` when it
/// passed without an answer.</summary>
public sealed record ComplaintView(
    long Id,
    DateTime ReceivedAt,
    string Channel,
    string Kind,
    string? Site,
    string? SiteName,
    string? Address,
    string Text,
    bool HasContact,
    string? Contact,
    long? Lead,
    string? Reference,
    string RecordedBy,
    DateTime RecordedAt,
    DateTime AnswerDue,
    bool Overdue,
    ComplaintAnswer? Answer);

/// <summary>The words and bounds of the complaints register; the words themselves are the glossary's
/// (`complaint.channel.*`, `kind.*`, `complaint.answer.*`).</summary>
public static class ComplaintRules
{
    /// <summary>How complaints reach the bureau: the 12345 hotline, letters and visits (信访), online or WeChat, a call to
    /// the bureau, in person.</summary>
    public static readonly IReadOnlyList<string> Channels = ["hotline_12345", "petition", "online", "phone", "walk_in"];

    /// <summary>What a complaint is about: the three kinds the bureau monitors, or something else.</summary>
    public static readonly IReadOnlyList<string> Kinds = ["fume", "noise", "dust", "other"];

    /// <summary>How an answer reaches the complainant. `case_feedback` is the fleet's own: the feedback of the linked lead's
    /// case to the complainant (Cases/CaseStore.Feedback) answers the complaint.</summary>
    public static readonly IReadOnlyList<string> AnswerChannels = ["phone", "sms", "letter", "platform", "in_person", CaseFeedback];

    public const string CaseFeedback = "case_feedback";

    public const int MaxTextLength = 2000;
    public const int MaxAnswerLength = 1000;
    public const int MaxAddressLength = 200;
    public const int MaxContactLength = 100;
    public const int MaxReferenceLength = 64;
    public const int MaxNameLength = 50;

    /// <summary>Answered on time: at most the answer days after it came in (the limit itself is on time).</summary>
    public static bool OnTime(DateTimeOffset received, DateTimeOffset answered, TimeSpan within) => answered <= received + within;

    /// <summary><see cref="OnTime"/> in SQL over `complaints`, with `@answerMs` the answer days in milliseconds (the report counts with it).</summary>
    public const string OnTimeSql = "answered_at IS NOT NULL AND answered_at <= received_at + @answerMs";

    /// <summary>Complaints from before this are not the register's (a mistyped year).</summary>
    public static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A code's words, for the pages' and the exports' "channel" columns.</summary>
    public static string ChannelZh(string channel) => BureauWords.Zh($"complaint.channel.{channel}") ?? channel;
    public static string KindZh(string kind) => BureauWords.Zh($"kind.{kind}") ?? kind;
    public static string AnswerChannelZh(string channel) => BureauWords.Zh($"complaint.answer.{channel}") ?? channel;
}

/// <summary>Options of the complaints register (section "Complaints").</summary>
public sealed class ComplaintOptions
{
    /// <summary>Calendar days a complaint has to be answered in, counted from its receipt (answered on time when answered
    /// at most this long after). Calendar days, not working days: working days move with the holiday swaps (调休) and
    /// would need the State Council's yearly calendar; a bureau whose rule is 5 working days sets 7.</summary>
    public int AnswerDays { get; set; } = 7;
}
