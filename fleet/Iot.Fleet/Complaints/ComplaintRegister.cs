using System.Data.Common;
using System.Globalization;
using Dapper;
using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.Glossary;
using Iot.Fleet.Storage;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Complaints;

/// <summary>Filters of GET /api/complaints: the `month` received in (`YYYY-MM`, the bureau's zone), answered or not, a site.</summary>
public sealed record ComplaintQuery(string? Month = null, bool? Answered = null, string? Site = null);

/// <summary>
/// The complaints register (投诉举报台账): complaints from the public by phone, the 12345 hotline, letters and visits or
/// online, each about a site or an address, and its one answer (答复). A complaint and its answer are never edited or
/// deleted; each write commits with its audit entry, which leaves out the complainant's contact.
/// </summary>
public sealed class ComplaintRegister(FleetDatabase database, TimeProvider clock, IOptions<ComplaintOptions>? options = null)
{
    /// <summary>How long a complaint has to be answered in.</summary>
    public TimeSpan AnswerWithin { get; } = TimeSpan.FromDays((options?.Value ?? new ComplaintOptions()).AnswerDays);

    /// <summary>Records a complaint; refuses a wrong field with a 400 that says which.</summary>
    public ComplaintView Add(ComplaintRequest request, AuditScope audit)
    {
        var now = clock.GetUtcNow();
        var received = request.ReceivedAt ?? throw new RefusalException("say when the complaint came in (`receivedAt`)");
        if (received > now + TimeSpan.FromMinutes(1)) throw new RefusalException($"receivedAt {received:O} is in the future");
        if (received < ComplaintRules.Earliest) throw new RefusalException($"receivedAt {received:O} is before 2000; check the year");
        var channel = OneOf(request.Channel, ComplaintRules.Channels, "channel");
        var kind = OneOf(request.Kind, ComplaintRules.Kinds, "kind");
        var site = FieldText.Optional(request.Site, "site", 64);
        var address = FieldText.Optional(request.Address, "address", ComplaintRules.MaxAddressLength);
        if (site is null && address is null) throw new RefusalException("say where: a registered `site` or an `address`");
        var text = FieldText.Optional(request.Text, "text", ComplaintRules.MaxTextLength, multiline: true) ?? throw new RefusalException("say what was complained of (`text`)");
        var contact = FieldText.Optional(request.Contact, "contact", ComplaintRules.MaxContactLength);
        var reference = FieldText.Optional(request.Reference, "reference", ComplaintRules.MaxReferenceLength);

        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        if (site is not null && connection.ExecuteScalar<long>("SELECT COUNT(*) FROM sites WHERE id = @site", new { site }, tx) == 0)
            throw new RefusalException($"no site {site} in the register; leave `site` out and give the `address`");
        if (request.Lead is { } lead && connection.ExecuteScalar<long>("SELECT COUNT(*) FROM leads WHERE id = @lead", new { lead }, tx) == 0)
            throw new RefusalException($"no lead {lead}");
        var id = connection.ExecuteScalar<long>(
            """
            INSERT INTO complaints (received_at, channel, kind, site, address, text, contact, lead, reference, recorded_by, recorded_at)
            VALUES (@received, @channel, @kind, @site, @address, @text, @contact, @lead, @reference, @by, @now) RETURNING id
            """,
            new
            {
                received = received.ToUnixTimeMilliseconds(), channel, kind, site, address, text, contact, lead = request.Lead, reference, by = audit.Actor.Name,
                now = now.ToUnixTimeMilliseconds(),
            }, tx);
        var view = Read(connection, tx, id, now, withContact: true)!;
        audit.Describe($"complaint:{id}", null, view with { Contact = null }).WriteIn(connection, tx);
        tx.Commit();
        return view;
    }

    /// <summary>Records the complaint's answer; 404 without the complaint, 409 when it is answered already, 400 for an answer
    /// before the complaint came in or in the future.</summary>
    public ComplaintView Answer(long id, AnswerRequest request, AuditScope audit)
    {
        var now = clock.GetUtcNow();
        var channel = OneOf(request.Channel, ComplaintRules.AnswerChannels, "channel");
        if (channel == ComplaintRules.CaseFeedback)
            throw new RefusalException($"`{ComplaintRules.CaseFeedback}` is recorded by the case's feedback to the complainant; say how the answer was given");
        var text = FieldText.Optional(request.Text, "text", ComplaintRules.MaxAnswerLength, multiline: true) ?? throw new RefusalException("say what was answered (`text`)");
        var by = FieldText.Optional(request.By, "by", ComplaintRules.MaxNameLength) ?? audit.Actor.Name;
        var at = request.AnsweredAt ?? now;
        if (at > now + TimeSpan.FromMinutes(1)) throw new RefusalException($"answeredAt {at:O} is in the future");

        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        var before = Read(connection, tx, id, now, withContact: false) ?? throw RefusalException.NotFound("complaint", id);
        if (before.Answer is not null) throw RefusalException.Conflict($"complaint {id} was answered at {before.Answer.At:O}; an answer is not replaced");
        if (at < new DateTimeOffset(before.ReceivedAt, TimeSpan.Zero))
            throw new RefusalException($"answeredAt {at:O} is before the complaint came in ({before.ReceivedAt:O})");
        // Guarded on no answer yet: of two answers at once, the second changes nothing and is refused.
        if (!SetAnswer(connection, tx, id, at, by, channel, text)) throw RefusalException.Conflict($"complaint {id} was answered meanwhile");
        var after = Read(connection, tx, id, now, withContact: true)!;
        audit.Describe($"complaint:{id}", before, after with { Contact = null }).WriteIn(connection, tx);
        tx.Commit();
        return after;
    }

    /// <summary>Inside a case's feedback step to the complainant: answers every unanswered complaint linked to the lead (or to a
    /// lead merged into it) with that feedback. Returns the complaints answered, for the case's history.</summary>
    public static IReadOnlyList<long> AnswerFromCaseFeedback(DbConnection connection, DbTransaction tx, long lead, string actor, string text, DateTimeOffset at)
    {
        var ids = connection.Query<long>(
            """
            SELECT id FROM complaints
            WHERE answered_at IS NULL AND received_at <= @at AND (lead = @lead OR lead IN (SELECT id FROM leads WHERE merged_into = @lead)) ORDER BY id
            """, new { lead, at = at.ToUnixTimeMilliseconds() }, tx).ToList();
        foreach (var id in ids)
            SetAnswer(connection, tx, id, at, actor, ComplaintRules.CaseFeedback, text.Length > ComplaintRules.MaxAnswerLength ? text[..ComplaintRules.MaxAnswerLength] : text);
        return ids;
    }

    /// <summary>The complaint; the complainant's contact only when <paramref name="withContact"/>.</summary>
    public ComplaintView? Get(long id, bool withContact)
    {
        using var connection = database.Open();
        return Read(connection, null, id, clock.GetUtcNow(), withContact);
    }

    /// <summary>Complaints that match, newest first, without contacts.</summary>
    public Page<ComplaintView> Find(ComplaintQuery query, PageRequest page)
    {
        var where = new List<string>();
        var p = new DynamicParameters();
        if (query.Month is { } month)
        {
            var (_, from, to) = BureauMonth.Span(month);
            where.Add("c.received_at >= @from AND c.received_at < @to");
            p.Add("from", from.ToUnixTimeMilliseconds());
            p.Add("to", to.ToUnixTimeMilliseconds());
        }
        if (query.Answered is { } answered) where.Add(answered ? "c.answered_at IS NOT NULL" : "c.answered_at IS NULL");
        if (query.Site is { } site)
        {
            where.Add("c.site = @site");
            p.Add("site", site);
        }
        using var connection = database.Open();
        var now = clock.GetUtcNow();
        var rows = connection.Query<Row>($"{Select} {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")}", p)
            .Select(r => ToView(r, now, withContact: false));
        return page.Of(rows, c => c.Id, descending: true);
    }

    /// <summary>Every complaint in the order recorded, without contacts (the register's download).</summary>
    public IReadOnlyList<ComplaintView> All()
    {
        using var connection = database.Open();
        var now = clock.GetUtcNow();
        return connection.Query<Row>($"{Select} ORDER BY c.id").Select(r => ToView(r, now, withContact: false)).ToList();
    }

    private static bool SetAnswer(DbConnection connection, DbTransaction tx, long id, DateTimeOffset at, string by, string channel, string text) =>
        connection.Execute(
            """
            UPDATE complaints SET answered_at = @at, answered_by = @by, answer_channel = @channel, answer_text = @text
            WHERE id = @id AND answered_at IS NULL
            """, new { id, at = at.ToUnixTimeMilliseconds(), by, channel, text }, tx) == 1;

    private const string Select =
        """
        SELECT c.id AS Id, c.received_at AS ReceivedAt, c.channel AS Channel, c.kind AS Kind, c.site AS Site, s.name AS SiteName, c.address AS Address,
            c.text AS Text, c.contact AS Contact, c.lead AS Lead, c.reference AS Reference, c.recorded_by AS RecordedBy, c.recorded_at AS RecordedAt,
            c.answered_at AS AnsweredAt, c.answered_by AS AnsweredBy, c.answer_channel AS AnswerChannel, c.answer_text AS AnswerText
        FROM complaints c LEFT JOIN sites s ON s.id = c.site
        """;

    private ComplaintView? Read(DbConnection connection, DbTransaction? tx, long id, DateTimeOffset now, bool withContact) =>
        connection.QueryFirstOrDefault<Row>($"{Select} WHERE c.id = @id", new { id }, tx) is { } row ? ToView(row, now, withContact) : null;

    private ComplaintView ToView(Row r, DateTimeOffset now, bool withContact)
    {
        var received = DateTimeOffset.FromUnixTimeMilliseconds(r.ReceivedAt);
        var due = received + AnswerWithin;
        var answer = r.AnsweredAt is { } at
            ? new ComplaintAnswer(DateTimeOffset.FromUnixTimeMilliseconds(at).UtcDateTime, r.AnsweredBy ?? "", r.AnswerChannel ?? "", r.AnswerText ?? "",
                ComplaintRules.OnTime(received, DateTimeOffset.FromUnixTimeMilliseconds(at), AnswerWithin))
            : null;
        return new ComplaintView(r.Id, received.UtcDateTime, r.Channel, r.Kind, r.Site, r.SiteName, r.Address, r.Text, r.Contact is not null,
            withContact ? r.Contact : null, r.Lead, r.Reference, r.RecordedBy, DateTimeOffset.FromUnixTimeMilliseconds(r.RecordedAt).UtcDateTime, due.UtcDateTime,
            answer is null && now > due, answer);
    }

    /// <summary>One of <paramref name="allowed"/>, or a 400 naming them.</summary>
    private static string OneOf(string? value, IReadOnlyList<string> allowed, string field) =>
        value is not null && allowed.Contains(value) ? value : throw new RefusalException($"`{field}` is one of: {string.Join(", ", allowed)}");

    // A class with setters, not a record: Dapper maps columns by name whatever the provider's types.
    private sealed class Row
    {
        public long Id { get; set; }
        public long ReceivedAt { get; set; }
        public string Channel { get; set; } = "";
        public string Kind { get; set; } = "";
        public string? Site { get; set; }
        public string? SiteName { get; set; }
        public string? Address { get; set; }
        public string Text { get; set; } = "";
        public string? Contact { get; set; }
        public long? Lead { get; set; }
        public string? Reference { get; set; }
        public string RecordedBy { get; set; } = "";
        public long RecordedAt { get; set; }
        public long? AnsweredAt { get; set; }
        public string? AnsweredBy { get; set; }
        public string? AnswerChannel { get; set; }
        public string? AnswerText { get; set; }
    }
}
