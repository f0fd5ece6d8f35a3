using System.Data.Common;
using System.Text.Json.Nodes;
using System.Text.Json;
using Dapper;
using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.Commissioning;
using Iot.Fleet.Complaints;
using Iot.Fleet.Leads;
using Iot.Fleet.Notifications;
using Iot.Fleet.Photos;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Cases;

/// <summary>
/// The cases of enforcement leads. A lead without a row in `cases` is an open case; the row appears with the first
/// step. Every step is one transaction: the case row, its history row, its audit entry and any notification it
/// causes commit together. Steps are serialized in-process, so two inspectors cannot both move the same case from
/// the same state.
/// </summary>
public sealed class CaseStore(FleetDatabase database, LeadStore leads, LeadFeed feed, TimeProvider clock, NotificationOutbox? outbox = null,
    IOptions<ClosedLoopOptions>? options = null)
{
    private readonly Lock _write = new();
    private readonly ClosedLoopOptions _options = options?.Value ?? new ClosedLoopOptions();
    private readonly MinorOffences _minor = MinorOffences.From((options?.Value ?? new ClosedLoopOptions()).MinorOffences);

    /// <summary>A live lead's arrival deadline, or a late (backfilled) lead's review deadline; the other is null.</summary>
    public (DateTimeOffset? Response, DateTimeOffset? Review) Due(Lead lead) =>
        lead.Late ? (null, lead.RaisedAt + TimeSpan.FromHours(_options.ReviewHours)) : (lead.RaisedAt + CaseRules.ResponseTarget, null);

    /// <summary>The deadline a notification names: `response_due` for a live lead, `review_due` for a late one.</summary>
    private JsonObject DueData(Lead lead) => Due(lead) switch
    {
        ({ } response, _) => new JsonObject { ["response_due"] = response.UtcDateTime },
        (_, { } review) => new JsonObject { ["review_due"] = review.UtcDateTime },
        _ => [],
    };

    /// <summary>Acknowledged: someone in the command centre has seen the lead and owns it now.
    /// For a late lead this is its review.</summary>
    public CaseView Acknowledge(long lead, string actor, string? note, AuditScope? audit) =>
        Step(lead, CaseSteps.Acknowledge, actor, audit, (c, _, _, _) =>
        {
            c.Status = CaseStatus.Acknowledged;
            c.ReviewedAt ??= clock.GetUtcNow().ToUnixTimeMilliseconds();
            return Data(("note", note));
        });

    /// <summary>Sends the case to <paramref name="squad"/>, or to the squad owning the site's grid when null.</summary>
    public CaseView Dispatch(long lead, string? squad, string actor, string? note, AuditScope? audit) =>
        Step(lead, CaseSteps.Dispatch, actor, audit, (c, l, connection, tx) =>
        {
            var grid = connection.ExecuteScalar<string?>("SELECT grid FROM sites WHERE id = @Site", new { l.Site }, tx);
            var chosen = squad is { Length: > 0 }
                ? Squads.Read(connection, tx, squad) ?? throw new RefusalException($"no squad {squad}", StatusCodes.Status400BadRequest)
                : Squads.OwnerOf(connection, tx, grid)
                  ?? throw new RefusalException($"no squad owns grid {grid ?? "(none)"} of site {l.Site}; choose a squad (`squad`) or give a squad that grid", StatusCodes.Status409Conflict);
            c.Squad = chosen.Id;
            c.Status = CaseStatus.Dispatched;
            var number = connection.ExecuteScalar<long>("SELECT COUNT(*) FROM case_steps WHERE lead = @lead AND step = 'dispatch'", new { lead }, tx) + 1;
            var data = DueData(l);
            data["squad"] = new JsonObject { ["id"] = chosen.Id, ["name"] = chosen.Name, ["members"] = new JsonArray([.. chosen.Members.Select(m => JsonValue.Create(m))]) };
            data["dispatched_by"] = actor;
            outbox?.EnqueueLead(connection, tx, NotificationEvents.LeadDispatched, $"{NotificationEvents.LeadDispatched}:{lead}:{number}", l, data);
            return Data(("squad", chosen.Id), ("automatic", squad is not { Length: > 0 }), ("grid", grid), ("note", note));
        });

    /// <summary>What the squad found on site. A violation that is a minor first offence by the bureau's list
    /// (<see cref="MinorOffences"/>) becomes a notice; the judgement is kept with the case either way.</summary>
    public CaseView Result(long lead, string result, string? note, DateTimeOffset? arrivedAt, string actor, AuditScope? audit, string? arrivalReason = null)
    {
        if (result is not (CaseStatus.ViolationFound or CaseStatus.NoViolation))
            throw new RefusalException($"result must be {CaseStatus.ViolationFound} or {CaseStatus.NoViolation}", StatusCodes.Status400BadRequest);
        if (string.IsNullOrWhiteSpace(note)) throw new RefusalException("say in `note` what the squad found on site", StatusCodes.Status400BadRequest);
        return Step(lead, CaseSteps.Result, actor, audit, (c, l, connection, tx) =>
        {
            var now = clock.GetUtcNow();
            var checkedIn = ReadCheckIn(connection, tx, lead);
            DateTimeOffset arrived;
            if (checkedIn is not null)
            {
                if (arrivedAt is not null)
                    throw new RefusalException($"arrival was recorded by the check-in at {checkedIn.At:u}; leave out arrivedAt", StatusCodes.Status400BadRequest);
                arrived = new DateTimeOffset(checkedIn.At, TimeSpan.Zero);
            }
            else if (arrivedAt is { } typed)
            {
                // Typed by hand: the same record as a check-in without location, so the reason stays with the case.
                arrived = ArrivalTyped(typed, arrivalReason, l, now);
                InsertCheckIn(connection, tx, lead, arrived, null, null, null, null, far: false, arrivalReason!.Trim(), actor);
            }
            else arrived = now;
            c.RespondedAt = arrived.ToUnixTimeMilliseconds();
            c.ClearVerification();
            c.Result = result;
            c.ResultNote = note!.Trim();
            c.Status = result;
            MinorDecision? minor = null;
            if (result == CaseStatus.ViolationFound)
            {
                var confirmedBefore = connection.ExecuteScalar<long>(
                    """
                    SELECT COUNT(*) FROM cases c JOIN leads l ON l.id = c.lead
                    WHERE l.site = @Site AND c.status = 'confirmed' AND c.closed_at >= @since AND c.lead <> @lead
                    """, new { l.Site, since = (now - _minor.FirstOffenceWithin).ToUnixTimeMilliseconds(), lead }, tx) > 0;
                minor = _minor.Assess(l, firstOffence: !confirmedBefore);
                c.Minor = minor;
                if (minor.Minor)
                {
                    c.Notice = 1;
                    c.Extra.Add((CaseSteps.Notice, CaseStatus.Noticed, Data(("why", minor.Why))));
                }
            }
            return Data(("result", result), ("note", c.ResultNote), ("arrived_at", arrived.UtcDateTime), ("arrival_reason", checkedIn is null ? arrivalReason?.Trim() : null),
                ("minor", minor));
        });
    }

    /// <summary>An inspector's decision against the fleet's judgement: treat the violation as minor (a notice to the
    /// operator) or not (the penalty path), with the reason; kept in the history and the audit log.</summary>
    public CaseView Minor(long lead, bool minor, string? reason, string actor, AuditScope? audit)
    {
        if (string.IsNullOrWhiteSpace(reason)) throw new RefusalException("say in `reason` why the case is or is not minor", StatusCodes.Status400BadRequest);
        return Step(lead, CaseSteps.Minor, actor, audit, (c, l, _, _) =>
        {
            if ((c.Notice != 0) == minor)
                throw new RefusalException($"the case of lead {lead} is already {(minor ? "treated as minor (noticed)" : "not minor")}", StatusCodes.Status409Conflict);
            // The fleet's measurement stays in `why`; cases from before this judgement was kept are measured now.
            var fleet = c.Minor ?? _minor.Assess(l, firstOffence: c.Notice != 0);
            c.Minor = fleet with { Minor = minor, By = actor, Reason = reason!.Trim() };
            c.Notice = minor ? 1 : 0;
            c.Status = minor ? CaseStatus.Noticed : CaseStatus.ViolationFound;
            c.ClearVerification();
            return Data(("minor", minor), ("reason", c.Minor.Reason), ("fleet", fleet.Why));
        });
    }

    /// <summary>Records the operator's commitment letter (承诺书) of a noticed case; a later record replaces it (both stay
    /// in the history). A scan is re-encoded as a commissioning photo is (<see cref="CommissioningPhoto.FromUpload"/>).</summary>
    public CaseView Commitment(long lead, CommitmentLetter letter, string actor, AuditScope? audit)
    {
        if (string.IsNullOrWhiteSpace(letter.SignedBy)) throw new RefusalException("say in `signedBy` who signed the letter for the operator", StatusCodes.Status400BadRequest);
        if (string.IsNullOrWhiteSpace(letter.Text) && string.IsNullOrWhiteSpace(letter.Reference))
            throw new RefusalException("give the letter's `text` or a `reference` to the signed paper", StatusCodes.Status400BadRequest);
        if (letter.Text is { Length: > CommitmentLetter.MaxTextLength })
            throw new RefusalException($"the letter's text is {letter.Text.Length} characters; at most {CommitmentLetter.MaxTextLength} are kept", StatusCodes.Status400BadRequest);
        return Step(lead, CaseSteps.Commitment, actor, audit, (c, l, connection, tx) =>
        {
            if (c.Notice == 0)
                throw new RefusalException($"the case of lead {lead} is not a notice: only a noticed case has a commitment letter", StatusCodes.Status409Conflict);
            var now = clock.GetUtcNow();
            var signedAt = letter.SignedAt ?? now;
            if (signedAt > now + TimeSpan.FromMinutes(1)) throw new RefusalException("signedAt is in the future", StatusCodes.Status400BadRequest);
            if (signedAt < l.RaisedAt - TimeSpan.FromMinutes(1)) throw new RefusalException("signedAt is before the lead was raised", StatusCodes.Status400BadRequest);
            connection.Execute(
                """
                INSERT INTO case_commitments (lead, signed_by, signed_at, text, reference, scan, scan_type, recorded_by, recorded_at)
                VALUES (@lead, @signedBy, @signedAt, @text, @reference, @scan, @scanType, @actor, @now)
                ON CONFLICT (lead) DO UPDATE SET signed_by = excluded.signed_by, signed_at = excluded.signed_at, text = excluded.text,
                    reference = excluded.reference, scan = excluded.scan, scan_type = excluded.scan_type, recorded_by = excluded.recorded_by,
                    recorded_at = excluded.recorded_at
                """, new { lead, signedBy = letter.SignedBy.Trim(), signedAt = signedAt.ToUnixTimeMilliseconds(), text = letter.Text?.Trim(),
                    reference = letter.Reference?.Trim(), scan = letter.Scan?.Bytes, scanType = letter.Scan?.ContentType, actor, now = now.ToUnixTimeMilliseconds() }, tx);
            return Data(("signed_by", letter.SignedBy.Trim()), ("signed_at", signedAt.UtcDateTime), ("reference", letter.Reference?.Trim()),
                ("scan", letter.Scan is not null));
        });
    }

    /// <summary>The scan of a case's commitment letter, or null.</summary>
    public CommissioningPhoto? CommitmentScan(long lead)
    {
        using var connection = database.Open();
        var row = connection.QueryFirstOrDefault<(byte[]? Scan, string? Type)>("SELECT scan, scan_type FROM case_commitments WHERE lead = @lead", new { lead });
        return row is { Scan: { } bytes, Type: { } type } ? new CommissioningPhoto(type, bytes) : null;
    }

    /// <summary>The date by which the operator must put things right.</summary>
    public CaseView Deadline(long lead, DateTimeOffset due, string? note, string actor, AuditScope? audit) =>
        Step(lead, CaseSteps.Deadline, actor, audit, (c, _, _, _) =>
        {
            if (due <= clock.GetUtcNow()) throw new RefusalException("the rectification deadline must be in the future", StatusCodes.Status400BadRequest);
            c.RectifyBy = due.ToUnixTimeMilliseconds();
            c.Recheck = null;
            c.ClearVerification();
            c.Status = CaseStatus.Rectifying;
            return Data(("due", due.UtcDateTime), ("note", note));
        });

    /// <summary>The re-check after the deadline.</summary>
    public CaseView Recheck(long lead, string result, string? note, string actor, AuditScope? audit)
    {
        if (result is not (CaseStatus.Rectified or CaseStatus.NotRectified))
            throw new RefusalException($"result must be {CaseStatus.Rectified} or {CaseStatus.NotRectified}", StatusCodes.Status400BadRequest);
        return Step(lead, CaseSteps.Recheck, actor, audit, (c, _, _, _) =>
        {
            c.Recheck = result;
            c.Status = result;
            c.ClearVerification();
            return Data(("result", result), ("note", note));
        });
    }

    /// <summary>Arrival on site (到场签到) of a dispatched case: where the phone was, or, when it has no location, the time
    /// typed by hand with the reason. The distance to the site's coordinates is kept; a check-in further than
    /// <see cref="ClosedLoopOptions.CheckInRadiusMeters"/> plus the phone's accuracy is flagged `far`, not refused. Only a
    /// member of the squad the case was dispatched to checks in, when that squad lists its members (403).</summary>
    public CaseView CheckIn(long lead, ArrivalFix? fix, DateTimeOffset? arrivedAt, string? reason, string actor, AuditScope? audit)
    {
        if (fix is null && arrivedAt is null)
            throw new RefusalException("give the phone's location (`lat`, `lon`, `accuracy`), or when it has none the time you arrived (`arrivedAt`) and `reason`", StatusCodes.Status400BadRequest);
        if (fix is not null && arrivedAt is not null)
            throw new RefusalException("give either the phone's location or a typed arrival time, not both", StatusCodes.Status400BadRequest);
        fix?.Check();
        return Step(lead, CaseSteps.CheckIn, actor, audit, (c, l, connection, tx) =>
        {
            if (ReadCheckIn(connection, tx, lead) is { } earlier)
                throw new RefusalException($"{earlier.By} already checked in on site at {earlier.At:u}", StatusCodes.Status409Conflict);
            // A check-in says "I am there": only someone of the squad the case went to, when the squad lists its members.
            if (c.Squad is { } sq && Squads.Read(connection, tx, sq) is { Members.Count: > 0 } squad && !squad.Members.Contains(actor)
                && connection.ExecuteScalar<string?>("SELECT squad FROM people WHERE login = @actor", new { actor }, tx) != sq)
                throw new RefusalException($"the case of lead {lead} went to squad {sq}; {actor} is not in it, so cannot check in for it", StatusCodes.Status403Forbidden);
            var now = clock.GetUtcNow();
            if (fix is null)
            {
                var arrived = ArrivalTyped(arrivedAt!.Value, reason, l, now);
                InsertCheckIn(connection, tx, lead, arrived, null, null, null, null, far: false, reason!.Trim(), actor);
                c.RespondedAt = arrived.ToUnixTimeMilliseconds();
                return Data(("arrived_at", arrived.UtcDateTime), ("reason", reason.Trim()));
            }
            var site = connection.QueryFirstOrDefault<(double? Lat, double? Lon)>("SELECT lat, lon FROM sites WHERE id = @Site", new { l.Site }, tx);
            double? distance = site is { Lat: { } lat, Lon: { } lon } ? Math.Round(CaseRules.DistanceMeters(fix.Lat, fix.Lon, lat, lon), 1) : null;
            var far = distance > _options.CheckInRadiusMeters + fix.Accuracy;
            InsertCheckIn(connection, tx, lead, now, fix.Lat, fix.Lon, fix.Accuracy, distance, far, null, actor);
            c.RespondedAt = now.ToUnixTimeMilliseconds();
            return Data(("arrived_at", now.UtcDateTime), ("lat", fix.Lat), ("lon", fix.Lon), ("accuracy_m", fix.Accuracy), ("distance_m", distance), ("far", far));
        });
    }

    /// <summary>Files the penalty case (处罚立案) under its case number (案号), unique in the bureau. Not for a noticed case:
    /// notice first is the path without a penalty (an override takes it back to the penalty path first).</summary>
    public CaseView File(long lead, string? caseNumber, string actor, AuditScope? audit)
    {
        var number = string.Join(' ', (caseNumber ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (number.Length == 0) throw new RefusalException("give the case number (`caseNumber`, 案号) the penalty case was filed under", StatusCodes.Status400BadRequest);
        if (number.Length > CaseRules.MaxCaseNumberLength)
            throw new RefusalException($"the case number is {number.Length} characters; at most {CaseRules.MaxCaseNumberLength}", StatusCodes.Status400BadRequest);
        if (number.Any(char.IsControl)) throw new RefusalException("the case number holds control characters", StatusCodes.Status400BadRequest);
        return Step(lead, CaseSteps.File, actor, audit, (c, _, connection, tx) =>
        {
            if (c.Notice != 0)
                throw new RefusalException($"the case of lead {lead} is a notice (告知承诺), not a penalty case: decide it is not minor first", StatusCodes.Status409Conflict);
            if (c.CaseNumber is { } filed)
                throw new RefusalException($"the case of lead {lead} is already filed as {filed}", StatusCodes.Status409Conflict);
            if (connection.ExecuteScalar<long?>("SELECT lead FROM cases WHERE case_number = @number", new { number }, tx) is { } other)
                throw new RefusalException($"case number {number} is already the case of lead {other}", StatusCodes.Status409Conflict);
            c.CaseNumber = number;
            return Data(("case_number", number));
        });
    }

    /// <summary>Independent verification (核查) of the result: never by who recorded a result or re-check of the case, and
    /// with <see cref="VerificationRule.Squad"/> not by a member of the squad it was dispatched to (403 otherwise). A
    /// later result, override, deadline or re-check needs a new verification.</summary>
    public CaseView Verify(long lead, string? note, string actor, AuditScope? audit)
    {
        if (string.IsNullOrWhiteSpace(note)) throw new RefusalException("say in `note` what the verification found", StatusCodes.Status400BadRequest);
        if (note.Length > CommitmentLetter.MaxTextLength) throw new RefusalException($"the note is {note.Length} characters; at most {CommitmentLetter.MaxTextLength}", StatusCodes.Status400BadRequest);
        return Step(lead, CaseSteps.Verify, actor, audit, (c, _, connection, tx) =>
        {
            var handlers = connection.Query<string>("SELECT DISTINCT actor FROM case_steps WHERE lead = @lead AND step IN ('result', 'recheck')", new { lead }, tx).ToList();
            if (handlers.Contains(actor))
                throw new RefusalException($"independent verification: {actor} recorded this case's result, so someone else must verify it", StatusCodes.Status403Forbidden);
            if (_options.Verification == VerificationRule.Squad)
            {
                // A squad is its members' list (Squads) and each person's own squad (People): either puts the verifier in it.
                var handling = new HashSet<string>(StringComparer.Ordinal);
                if (c.Squad is { } dispatched) handling.Add(dispatched);
                foreach (var handler in handlers)
                    if (connection.ExecuteScalar<string?>("SELECT squad FROM people WHERE login = @handler", new { handler }, tx) is { } own) handling.Add(own);
                var mine = connection.ExecuteScalar<string?>("SELECT squad FROM people WHERE login = @actor", new { actor }, tx);
                var shared = handling.FirstOrDefault(sq => sq == mine || (Squads.Read(connection, tx, sq)?.Members.Contains(actor) ?? false));
                if (shared is not null)
                    throw new RefusalException($"independent verification: {actor} is in squad {shared}, which handled the case; someone outside it must verify it", StatusCodes.Status403Forbidden);
            }
            if (c.VerifiedAt is not null)
                throw new RefusalException($"the result of lead {lead} is already verified by {c.VerifiedBy}", StatusCodes.Status409Conflict);
            c.VerifiedBy = actor;
            c.VerifiedAt = clock.GetUtcNow().ToUnixTimeMilliseconds();
            c.VerifyNote = note.Trim();
            return Data(("note", c.VerifyNote));
        });
    }

    /// <summary>Feedback (反馈) on the case to the complainant, the party or a city platform (<see cref="CaseRules.FeedbackChannels"/>).</summary>
    public CaseView Feedback(long lead, string? channel, string? text, string actor, AuditScope? audit)
    {
        if (!CaseRules.FeedbackChannels.Contains(channel ?? ""))
            throw new RefusalException($"channel must be one of: {string.Join(", ", CaseRules.FeedbackChannels)}", StatusCodes.Status400BadRequest);
        if (string.IsNullOrWhiteSpace(text)) throw new RefusalException("say in `text` what was fed back", StatusCodes.Status400BadRequest);
        if (text.Trim().Length > CaseRules.MaxFeedbackLength)
            throw new RefusalException($"the feedback is {text.Trim().Length} characters; at most {CaseRules.MaxFeedbackLength}", StatusCodes.Status400BadRequest);
        return Step(lead, CaseSteps.Feedback, actor, audit, (_, _, connection, tx) =>
        {
            var now = clock.GetUtcNow();
            connection.Execute("INSERT INTO case_feedback (lead, channel, text, actor, at) VALUES (@lead, @channel, @text, @actor, @at)",
                new { lead, channel, text = text.Trim(), actor, at = now.ToUnixTimeMilliseconds() }, tx);
            // Feedback to the complainant answers the complaints linked to the lead that are not answered yet (Complaints/).
            var answered = channel == CaseRules.ComplainantChannel
                ? ComplaintRegister.AnswerFromCaseFeedback(connection, tx, lead, actor, text.Trim(), now)
                : [];
            return Data(("channel", channel), ("text", text.Trim()), ("complaints_answered", answered.Count > 0 ? answered : null));
        });
    }

    /// <summary>A typed arrival time, checked; a reason is required (the location was unavailable).</summary>
    private static DateTimeOffset ArrivalTyped(DateTimeOffset arrived, string? reason, Lead l, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(reason))
            throw new RefusalException("a typed arrival time needs `reason`: why the phone's location was unavailable", StatusCodes.Status400BadRequest);
        if (reason.Trim().Length > CaseRules.MaxFeedbackLength)
            throw new RefusalException($"the reason is {reason.Trim().Length} characters; at most {CaseRules.MaxFeedbackLength}", StatusCodes.Status400BadRequest);
        if (arrived > now + TimeSpan.FromMinutes(1)) throw new RefusalException("arrivedAt is in the future", StatusCodes.Status400BadRequest);
        if (arrived < l.RaisedAt - TimeSpan.FromMinutes(1)) throw new RefusalException("arrivedAt is before the lead was raised", StatusCodes.Status400BadRequest);
        return arrived;
    }

    private static void InsertCheckIn(DbConnection connection, DbTransaction tx, long lead, DateTimeOffset at, double? lat, double? lon, double? accuracy,
        double? distance, bool far, string? reason, string actor) =>
        connection.Execute(
            """
            INSERT INTO case_checkins (lead, at, lat, lon, accuracy_m, distance_m, far, reason, actor)
            VALUES (@lead, @at, @lat, @lon, @accuracy, @distance, @far, @reason, @actor)
            """, new { lead, at = at.ToUnixTimeMilliseconds(), lat, lon, accuracy, distance, far = far ? 1 : 0, reason, actor }, tx);

    private static CheckInView? ReadCheckIn(DbConnection connection, DbTransaction? tx, long lead) =>
        connection.QueryFirstOrDefault<(long At, double? Lat, double? Lon, double? Accuracy, double? Distance, long Far, string? Reason, string Actor)?>(
            "SELECT at, lat, lon, accuracy_m, distance_m, far, reason, actor FROM case_checkins WHERE lead = @lead", new { lead }, tx) is { } r
            ? new CheckInView(Utc(r.At)!.Value, r.Lat, r.Lon, r.Accuracy, r.Distance, r.Far != 0, r.Reason, r.Actor)
            : null;

    /// <summary>Closes as confirmed, or as dismissed with one of <see cref="CaseRules.DismissReasons"/>. With the two-person
    /// rule (<see cref="ClosedLoopOptions.TwoPersonDismissal"/>), dismissing needs an acknowledged case (409 while it is
    /// open) and someone other than who acknowledged it (403).</summary>
    public CaseView Close(long lead, string outcome, string? reason, string? note, string actor, AuditScope? audit, decimal? fineYuan = null)
    {
        if (outcome is not (CaseStatus.Confirmed or CaseStatus.Dismissed))
            throw new RefusalException($"outcome must be {CaseStatus.Confirmed} or {CaseStatus.Dismissed}", StatusCodes.Status400BadRequest);
        if (fineYuan is { } fine)
        {
            if (outcome != CaseStatus.Confirmed) throw new RefusalException("a fine belongs to a case closed as confirmed", StatusCodes.Status400BadRequest);
            if (fine < 0) throw new RefusalException("the fine (`fineYuan`) cannot be negative", StatusCodes.Status400BadRequest);
            if (fine > CaseRules.MaxFineYuan) throw new RefusalException($"the fine is above {CaseRules.MaxFineYuan:0} yuan; check the amount", StatusCodes.Status400BadRequest);
            if (decimal.Round(fine, 2) != fine) throw new RefusalException("the fine is in yuan with at most two decimals (fen)", StatusCodes.Status400BadRequest);
        }
        if (outcome == CaseStatus.Dismissed)
        {
            if (CaseRules.DismissReasons.All(r => r.Id != reason))
                throw new RefusalException($"dismissing needs a reason, one of: {string.Join(", ", CaseRules.DismissReasons.Select(r => r.Id))}", StatusCodes.Status400BadRequest);
            if (reason == CaseRules.OtherReason && string.IsNullOrWhiteSpace(note))
                throw new RefusalException("reason `other` needs a note saying why", StatusCodes.Status400BadRequest);
        }
        return Step(lead, $"{CaseSteps.Close}:{outcome}", actor, audit, (c, _, connection, tx) =>
        {
            // Notice first rests on the operator's promise: without the signed letter it is the penalty path.
            if (outcome == CaseStatus.Confirmed && c.Notice != 0
                && connection.ExecuteScalar<long>("SELECT COUNT(*) FROM case_commitments WHERE lead = @lead", new { lead }, tx) == 0)
                throw new RefusalException(
                    $"lead {lead} was noticed as a minor offence: record the operator's commitment letter (承诺书) first, or decide it is not minor", StatusCodes.Status409Conflict);
            if (outcome == CaseStatus.Confirmed)
            {
                if (c.VerifiedAt is null)
                    throw new RefusalException($"the result of lead {lead} is not verified: someone other than who recorded it verifies it (核查) first", StatusCodes.Status409Conflict);
                if (c.CaseNumber is null && fineYuan is not null)
                    throw new RefusalException($"lead {lead} has no penalty case: file it (立案, case number) before recording a fine", StatusCodes.Status409Conflict);
                if (c.CaseNumber is not null && fineYuan is null)
                    throw new RefusalException($"lead {lead} is penalty case {c.CaseNumber}: give the fine (`fineYuan`, 0 for a warning)", StatusCodes.Status400BadRequest);
                c.FineFen = fineYuan is { } f ? (long)(f * 100) : null;
            }
            if (outcome == CaseStatus.Dismissed && _options.TwoPersonDismissal)
            {
                var raisedBy = connection.ExecuteScalar<string?>(
                    "SELECT actor FROM case_steps WHERE lead = @lead AND step = @step ORDER BY id DESC LIMIT 1", new { lead, step = CaseSteps.Acknowledge }, tx);
                if (raisedBy is null)
                    throw new RefusalException($"two-person rule: acknowledge lead {lead} first; then someone else may dismiss it", StatusCodes.Status409Conflict);
                if (raisedBy == actor)
                    throw new RefusalException($"two-person rule: {actor} acknowledged lead {lead}, so someone else must dismiss it", StatusCodes.Status403Forbidden);
            }
            c.Outcome = outcome;
            c.CloseReason = outcome == CaseStatus.Dismissed ? reason : null;
            c.CloseNote = note;
            c.ClosedAt = clock.GetUtcNow().ToUnixTimeMilliseconds();
            c.ReviewedAt ??= c.ClosedAt;
            c.Status = outcome;
            return Data(("outcome", outcome), ("reason", c.CloseReason), ("note", note), ("fine_yuan", fineYuan));
        });
    }

    /// <summary>Marks live leads whose response target passed with nobody on site (once per lead, only leads raised in
    /// the last day, so a fleet upgraded with old leads does not flood the groups), each with a history step and a
    /// `lead.overdue` notification in one transaction. Late (backfilled) leads are never overdue on this clock: they
    /// tell of the past, and have a review deadline instead.</summary>
    public IReadOnlyList<CaseView> DetectOverdue()
    {
        var now = clock.GetUtcNow();
        var changed = new List<CaseView>();
        lock (_write)
        {
            using var connection = database.Open();
            var late = connection.Query<long>(
                """
                SELECT l.id FROM leads l LEFT JOIN cases c ON c.lead = l.id
                WHERE l.queue = 'enforcement' AND l.status = 'new' AND l.late = 0 AND l.raised_at <= @due AND l.raised_at >= @since
                  AND (c.lead IS NULL OR (c.overdue_notified_at IS NULL AND c.responded_at IS NULL AND c.closed_at IS NULL))
                ORDER BY l.id
                """, new { due = (now - CaseRules.ResponseTarget).ToUnixTimeMilliseconds(), since = (now - TimeSpan.FromDays(1)).ToUnixTimeMilliseconds() }).ToList();
            foreach (var id in late)
            {
                using var tx = connection.BeginTransaction();
                var lead = leads.Get(id)!;
                var c = ReadRow(connection, tx, id) ?? CaseRow.Open(id, now);
                c.OverdueNotifiedAt = now.ToUnixTimeMilliseconds();
                c.UpdatedAt = now.ToUnixTimeMilliseconds();
                Upsert(connection, tx, c);
                AddStep(connection, tx, id, CaseSteps.Overdue, c.Status, c.Status, "system", now, DueData(lead));
                var data = DueData(lead);
                data["squad"] = c.Squad is { } s && Squads.Read(connection, tx, s) is { } squad ? new JsonObject { ["id"] = squad.Id, ["name"] = squad.Name } : null;
                data["status"] = c.Status;
                outbox?.EnqueueLead(connection, tx, NotificationEvents.LeadOverdue, $"{NotificationEvents.LeadOverdue}:{id}", lead, data);
                tx.Commit();
                changed.Add(View(connection, null, lead, c, now, withHistory: true));
            }
        }
        if (changed.Count > 0) outbox?.Wake();
        foreach (var view in changed) feed.PublishCase(view);
        return changed;
    }

    /// <summary>The case of an enforcement lead, with its history.</summary>
    public CaseView Get(long leadId)
    {
        var lead = CaseLead(leadId);
        using var connection = database.Open();
        var c = ReadRow(connection, null, leadId) ?? CaseRow.Open(leadId, lead.RaisedAt);
        return View(connection, null, lead, c, clock.GetUtcNow(), withHistory: true);
    }

    /// <summary>Cases matching the filters, newest lead first; leads nobody touched yet show as `open`.</summary>
    public IReadOnlyList<CaseView> Find(CaseQuery query) => Find(query, new PageRequest(Math.Clamp(query.Limit, 1, PageRequest.MaxLimit))).Items;

    /// <summary>One page of the cases, newest lead first (raised, then id), with how many match.</summary>
    public Page<CaseView> Find(CaseQuery query, PageRequest page)
    {
        var now = clock.GetUtcNow();
        using var connection = database.Open();
        const string matching =
            """
            FROM leads l
            LEFT JOIN cases c ON c.lead = l.id LEFT JOIN sites s ON s.id = l.site
            WHERE l.queue = 'enforcement' AND l.status = 'new'
              AND (@Status IS NULL OR COALESCE(c.status, 'open') = @Status)
              AND (@Squad IS NULL OR c.squad = @Squad)
              AND (@Grid IS NULL OR s.grid = @Grid)
              AND (@overdue IS NULL OR (CASE WHEN l.late = 0 AND COALESCE(c.responded_at, c.closed_at, @now) > l.raised_at + @target THEN 1 ELSE 0 END) = @overdue)
            """;
        var p = new DynamicParameters(new { query.Status, query.Squad, query.Grid, overdue = query.Overdue is { } o ? (o ? 1 : 0) : (int?)null, now = now.ToUnixTimeMilliseconds(),
            target = (long)CaseRules.ResponseTarget.TotalMilliseconds, limit = page.Limit + 1 });
        var after = "";
        if (!page.First)
        {
            after = " AND (l.raised_at < @k0 OR (l.raised_at = @k0 AND l.id < @k1))";
            p.Add("k0", page.Long(0));
            p.Add("k1", page.Long(1));
        }
        var total = connection.ExecuteScalar<long>($"SELECT COUNT(*) {matching}", p);
        var rows = connection.Query<(long Id, string Site, string? Grid, string Rule, long RaisedAt)>(
            $"SELECT l.id, l.site, s.grid, l.rule, l.raised_at {matching}{after} ORDER BY l.raised_at DESC, l.id DESC LIMIT @limit", p).ToList();
        return page.Of(rows, total, r => PageRequest.Cursor(r.RaisedAt, r.Id), r =>
        {
            var lead = leads.Get(r.Id)!;
            var c = ReadRow(connection, null, r.Id) ?? CaseRow.Open(r.Id, lead.RaisedAt);
            return View(connection, null, lead, c, now, withHistory: false);
        });
    }

    private Lead CaseLead(long id) => leads.Get(id) switch
    {
        null or { Queue: not LeadQueue.Enforcement } => throw new RefusalException($"no lead {id}", StatusCodes.Status404NotFound),
        { Status: not LeadStatus.New } l => throw new RefusalException(
            $"lead {id} is {l.Status}: not an enforcement lead, so it has no case", StatusCodes.Status409Conflict),
        var l => l,
    };

    private delegate JsonObject? Apply(CaseRow c, Lead lead, DbConnection connection, DbTransaction tx);

    /// <summary>Checks the step may start from the case's state, applies it, and stores case, history, audit entry and
    /// notifications in one transaction; then tells open pages.</summary>
    private CaseView Step(long leadId, string step, string actor, AuditScope? audit, Apply apply)
    {
        var lead = CaseLead(leadId);
        var name = step.Split(':')[0];
        CaseView after;
        lock (_write)
        {
            var now = clock.GetUtcNow();
            using var connection = database.Open();
            using var tx = connection.BeginTransaction();
            var c = ReadRow(connection, tx, leadId) ?? CaseRow.Open(leadId, now);
            var before = View(connection, tx, lead, c, now, withHistory: false);
            var allowed = CaseSteps.AllowedFrom[step];
            if (!allowed.Contains(c.Status))
                throw new RefusalException(
                    $"cannot {step.Replace(':', ' ')} the case of lead {leadId}: it is {c.Status}; that step needs {string.Join(" or ", allowed)}", StatusCodes.Status409Conflict);
            var from = c.Status;
            var data = apply(c, lead, connection, tx);
            c.UpdatedAt = now.ToUnixTimeMilliseconds();
            Upsert(connection, tx, c);
            AddStep(connection, tx, leadId, name, from, c.Status, actor, now, data);
            foreach (var (extraStep, to, extraData) in c.Extra)
            {
                AddStep(connection, tx, leadId, extraStep, c.Status, to, actor, now, extraData);
                c.Status = to;
            }
            if (c.Extra.Count > 0) Upsert(connection, tx, c);
            after = View(connection, tx, lead, c, now, withHistory: true);
            audit?.Describe($"lead:{leadId}", before, after with { History = null }).WriteIn(connection, tx);
            tx.Commit();
        }
        if (name == CaseSteps.Dispatch) outbox?.Wake();
        feed.PublishCase(after);
        return after;
    }

    private static JsonObject? Data(params (string Key, object? Value)[] items)
    {
        var o = new JsonObject();
        foreach (var (key, value) in items)
            if (value is not null) o[key] = JsonSerializer.SerializeToNode(value, NotificationOutbox.Json);
        return o.Count == 0 ? null : o;
    }

    private static void AddStep(DbConnection connection, DbTransaction tx, long lead, string step, string from, string to, string actor, DateTimeOffset at, JsonObject? data) =>
        connection.Execute("INSERT INTO case_steps (lead, step, from_status, to_status, actor, at, data) VALUES (@lead, @step, @from, @to, @actor, @at, @data)",
            new { lead, step, from, to, actor, at = at.ToUnixTimeMilliseconds(), data = data?.ToJsonString(NotificationOutbox.Json) }, tx);

    private static void Upsert(DbConnection connection, DbTransaction tx, CaseRow c) =>
        connection.Execute(
            """
            INSERT INTO cases (lead, status, squad, responded_at, result, result_note, notice, rectify_by, recheck, outcome, close_reason, close_note,
                overdue_notified_at, opened_at, updated_at, closed_at, minor, reviewed_at, case_number, fine_fen, verified_by, verified_at, verify_note)
            VALUES (@Lead, @Status, @Squad, @RespondedAt, @Result, @ResultNote, @Notice, @RectifyBy, @Recheck, @Outcome, @CloseReason, @CloseNote,
                @OverdueNotifiedAt, @OpenedAt, @UpdatedAt, @ClosedAt, @MinorJson, @ReviewedAt, @CaseNumber, @FineFen, @VerifiedBy, @VerifiedAt, @VerifyNote)
            ON CONFLICT (lead) DO UPDATE SET status = excluded.status, squad = excluded.squad, responded_at = excluded.responded_at,
                result = excluded.result, result_note = excluded.result_note, notice = excluded.notice, rectify_by = excluded.rectify_by,
                recheck = excluded.recheck, outcome = excluded.outcome, close_reason = excluded.close_reason, close_note = excluded.close_note,
                overdue_notified_at = excluded.overdue_notified_at, updated_at = excluded.updated_at, closed_at = excluded.closed_at,
                minor = excluded.minor, reviewed_at = excluded.reviewed_at, case_number = excluded.case_number, fine_fen = excluded.fine_fen,
                verified_by = excluded.verified_by, verified_at = excluded.verified_at, verify_note = excluded.verify_note
            """, c, tx);

    private static CaseRow? ReadRow(DbConnection connection, DbTransaction? tx, long lead) =>
        connection.QueryFirstOrDefault<CaseRow>(
            """
            SELECT lead AS Lead, status AS Status, squad AS Squad, responded_at AS RespondedAt, result AS Result, result_note AS ResultNote, notice AS Notice,
                rectify_by AS RectifyBy, recheck AS Recheck, outcome AS Outcome, close_reason AS CloseReason, close_note AS CloseNote,
                overdue_notified_at AS OverdueNotifiedAt, opened_at AS OpenedAt, updated_at AS UpdatedAt, closed_at AS ClosedAt,
                minor AS MinorJson, reviewed_at AS ReviewedAt, case_number AS CaseNumber, fine_fen AS FineFen, verified_by AS VerifiedBy,
                verified_at AS VerifiedAt, verify_note AS VerifyNote
            FROM cases WHERE lead = @lead
            """, new { lead }, tx);

    /// <summary>The history of a case, oldest first.</summary>
    public static IReadOnlyList<CaseStepView> History(DbConnection connection, DbTransaction? tx, long lead) =>
        connection.Query<(string Step, string From, string To, string Actor, long At, string? Data)>(
                "SELECT step, from_status, to_status, actor, at, data FROM case_steps WHERE lead = @lead ORDER BY id", new { lead }, tx)
            .Select(s => new CaseStepView(s.Step, s.From, s.To, s.Actor, Utc(s.At)!.Value, s.Data is null ? null : JsonNode.Parse(s.Data)))
            .ToList();

    private CaseView View(DbConnection connection, DbTransaction? tx, Lead lead, CaseRow c, DateTimeOffset now, bool withHistory)
    {
        var grid = connection.ExecuteScalar<string?>("SELECT grid FROM sites WHERE id = @Site", new { lead.Site }, tx);
        var (response, review) = Due(lead);
        var overdue = response is { } r && (c.RespondedAt ?? c.ClosedAt ?? now.ToUnixTimeMilliseconds()) > r.ToUnixTimeMilliseconds();
        var reviewOverdue = review is { } v && (c.ReviewedAt ?? c.ClosedAt ?? now.ToUnixTimeMilliseconds()) > v.ToUnixTimeMilliseconds();
        var letter = connection.QueryFirstOrDefault<(string SignedBy, long SignedAt, string? Text, string? Reference, long HasScan, string RecordedBy, long RecordedAt)?>(
            """
            SELECT signed_by, signed_at, text, reference, scan IS NOT NULL, recorded_by, recorded_at FROM case_commitments WHERE lead = @Id
            """, new { lead.Id }, tx);
        var commitment = letter is { } k
            ? new CommitmentView(k.SignedBy, Utc(k.SignedAt)!.Value, k.Text, k.Reference, k.HasScan != 0, k.RecordedBy, Utc(k.RecordedAt)!.Value)
            : null;
        var feedback = connection.Query<(string Channel, string Text, string Actor, long At)>(
                "SELECT channel, text, actor, at FROM case_feedback WHERE lead = @Id ORDER BY id", new { lead.Id }, tx)
            .Select(f => new FeedbackView(f.Channel, f.Text, f.Actor, Utc(f.At)!.Value)).ToList();
        var verification = c is { VerifiedBy: { } by, VerifiedAt: { } at } ? new VerificationView(by, Utc(at)!.Value, c.VerifyNote ?? "") : null;
        return new CaseView(lead.Id, c.Status, lead.Site, grid, lead.Rule, c.Squad, lead.RaisedAt.UtcDateTime, lead.Late, response?.UtcDateTime, review?.UtcDateTime,
            Utc(c.RespondedAt), overdue, reviewOverdue, c.Result, c.ResultNote, c.Notice != 0, c.Minor, commitment, Utc(c.RectifyBy), c.Recheck,
            ReadCheckIn(connection, tx, lead.Id), c.CaseNumber, c.FineFen is { } fen ? fen / 100m : null, verification, feedback, c.Outcome,
            c.CloseReason, c.CloseNote, Utc(c.ClosedAt), c.UpdatedAt == 0 ? null : Utc(c.UpdatedAt), withHistory ? History(connection, tx, lead.Id) : null);
    }

    private static DateTime? Utc(long? ms) => ms is { } m ? DateTimeOffset.FromUnixTimeMilliseconds(m).UtcDateTime : null;

    /// <summary>A row of `cases`; <see cref="Extra"/> holds follow-on steps a step implies (the notice after a minor result).</summary>
    private sealed class CaseRow
    {
        public long Lead { get; set; }
        public string Status { get; set; } = CaseStatus.Open;
        public string? Squad { get; set; }
        public long? RespondedAt { get; set; }
        public string? Result { get; set; }
        public string? ResultNote { get; set; }
        public long Notice { get; set; }
        public long? RectifyBy { get; set; }
        public string? Recheck { get; set; }
        public string? Outcome { get; set; }
        public string? CloseReason { get; set; }
        public string? CloseNote { get; set; }
        public long? OverdueNotifiedAt { get; set; }
        public long OpenedAt { get; set; }
        public long UpdatedAt { get; set; }
        public long? ClosedAt { get; set; }
        /// <summary>When the case was first acknowledged or closed: a late lead's review.</summary>
        public long? ReviewedAt { get; set; }
        public MinorDecision? Minor { get; set; }
        /// <summary>The penalty case's number (案号) once filed, and its fine in fen once closed.</summary>
        public string? CaseNumber { get; set; }
        public long? FineFen { get; set; }
        public string? VerifiedBy { get; set; }
        public long? VerifiedAt { get; set; }
        public string? VerifyNote { get; set; }

        /// <summary>A new result, decision, deadline or re-check is not what was verified: it needs its own verification.</summary>
        public void ClearVerification() => (VerifiedBy, VerifiedAt, VerifyNote) = (null, null, null);

        /// <summary><see cref="Minor"/> as the `minor` column holds it.</summary>
        public string? MinorJson
        {
            get => Minor is null ? null : JsonSerializer.Serialize(Minor, NotificationOutbox.Json);
            set => Minor = value is null ? null : JsonSerializer.Deserialize<MinorDecision>(value, NotificationOutbox.Json);
        }

        public List<(string Step, string To, JsonObject? Data)> Extra { get; } = [];

        public static CaseRow Open(long lead, DateTimeOffset at) => new() { Lead = lead, OpenedAt = at.ToUnixTimeMilliseconds() };
    }
}
