using System.Text;
using Dapper;
using Iot.Fleet.Registry;
using Iot.Fleet.Storage;
using Microsoft.Extensions.Options;
using Iot.Hj212;
using QualityBits = Iot.Contract.QualityBits;

namespace Iot.Fleet.Forwarding;

/// <summary>A stored frame of the outbound queue: the data segment's fixed parts (QN, CN, CP), made once.</summary>
public sealed record QueuedFrame(long Id, string Site, string Platform, string Mn, string Cn, long DataTime, string Qn, string Cp, int Sends, long? AckedAt);

/// <summary>How far one site's frames have got to its platform.</summary>
public sealed record QueueDepth(string Platform, string Site, string Mn, long Pending, long Unacknowledged, long Acknowledged, DateTime? OldestPending,
    DateTime? LastAcknowledged, long OpenMinutes);

/// <summary>
/// The forwarder's durable outbound queue in the fleet database. It follows the record journal (cursor `hj212`) and
/// makes one 2051 frame per (site, minute): the site's platform MN, DataTime the minute's start in the site's time,
/// and per factor Min/Avg/Max over the site's devices' records of that minute (one device: all three its value) with
/// the Flag their quality gives. A frame is made once, when every device of the site has the minute or
/// <see cref="ForwardingOptions.SettleSeconds"/> after its first record, and is never changed: the platform keeps the
/// first frame of an (MN, CN, DataTime), so sending at least once the same frame makes it exactly once there.
/// </summary>
public sealed class PlatformQueue(FleetDatabase database, RecordJournal journal, SiteRegistry registry, ReportingSites reporting, IOptions<ForwardingOptions> options,
    TimeProvider clock, ILogger<PlatformQueue> logger)
{
    public const string Cursor = "hj212";
    private const string MinuteData = Hj212Commands.MinuteData;
    private ForwardingOptions Options => options.Value;

    /// <summary>Reads the journal after the cursor and notes the minutes of reporting sites; returns records read.</summary>
    public int Follow(int limit = 2000)
    {
        var after = journal.Cursor(Cursor);
        var records = journal.ReadAfter(after, limit);
        if (records.Count == 0) return 0;
        var now = clock.GetUtcNow();
        var oldest = now.AddHours(-Options.MaxAgeHours).ToUnixTimeSeconds();
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        foreach (var r in records)
        {
            // Only whole minutes are 2051 data; a record of another length is not forwarded.
            if (r.Site is not { } site || reporting.Of(site) is null || r.Duration != 60 || r.Time < oldest) continue;
            var minute = r.Time / 60 * 60;
            var framed = connection.ExecuteScalar<long>("SELECT COUNT(*) FROM hj212_frames WHERE site = @site AND cn = @cn AND data_time = @minute",
                new { site, cn = MinuteData, minute }, tx);
            if (framed > 0)
            {
                logger.LogInformation("HJ 212: {Device} minute {Minute} of {Site} arrived after its frame was made; not forwarded", r.Device, minute, site);
                continue;
            }
            connection.Execute("INSERT INTO hj212_open (site, minute, dev, first_seen) VALUES (@site, @minute, @Device, @at) ON CONFLICT DO NOTHING",
                new { site, minute, r.Device, at = now.ToUnixTimeMilliseconds() }, tx);
        }
        RecordJournal.SetCursor(connection, tx, Cursor, records[^1].RowId);
        tx.Commit();
        return records.Count;
    }

    /// <summary>Makes the frames of the minutes that are complete or have waited long enough; returns how many.</summary>
    public int MakeFrames()
    {
        var now = clock.GetUtcNow();
        using var connection = database.Open();
        var open = connection.Query<(string site, long minute, string dev, long first_seen)>("SELECT site, minute, dev, first_seen FROM hj212_open ORDER BY site, minute")
            .GroupBy(o => (o.site, o.minute)).ToList();
        var made = 0;
        var lastQn = connection.ExecuteScalar<string?>("SELECT MAX(qn) FROM hj212_frames");
        foreach (var minute in open)
        {
            var (site, start) = minute.Key;
            var devices = minute.Select(o => o.dev).ToHashSet(StringComparer.Ordinal);
            var settled = now.ToUnixTimeMilliseconds() - minute.Min(o => o.first_seen) >= Options.SettleSeconds * 1000;
            if (!settled && !registry.DevicesOf(site).All(devices.Contains)) continue;
            using var tx = connection.BeginTransaction();
            if (reporting.Of(site) is { } to)
            {
                var records = devices.SelectMany(d => journal.Between(d, start, start + 60)).Where(r => r.Site == site && r.Duration == 60 && r.Time / 60 * 60 == start).ToList();
                lastQn = NextQn(lastQn, now);
                var cp = MinuteCp(records.Select(r => (r.Quality, (IReadOnlyDictionary<string, double>)r.Measurements)).ToList(),
                    DateTimeOffset.FromUnixTimeSeconds(start), Hj212Factors.For(to.Platform));
                connection.Execute(
                    """
                    INSERT INTO hj212_frames (site, platform, mn, cn, data_time, qn, cp, created_at) VALUES (@site, @platform, @Mn, @cn, @start, @qn, @cp, @at)
                    ON CONFLICT (site, cn, data_time) DO NOTHING
                    """, new { site, platform = to.Site.Platform, to.Site.Mn, cn = MinuteData, start, qn = lastQn, cp, at = now.ToUnixTimeMilliseconds() }, tx);
                made++;
            }
            connection.Execute("DELETE FROM hj212_open WHERE site = @site AND minute = @start", new { site, start }, tx);
            tx.Commit();
        }
        return made;
    }

    /// <summary>The CP of a 2051 frame: DataTime (Beijing time, as HJ 212 counts), then per factor (by code) Min/Avg/Max over the records carrying it, and its
    /// Flag. Valid records (no not-evidence bit) decide when there are any; otherwise the others do, flagged.</summary>
    public static string MinuteCp(IReadOnlyList<(int Quality, IReadOnlyDictionary<string, double> Values)> records, DateTimeOffset start,
        IReadOnlyDictionary<string, Factor> factors)
    {
        var cp = new StringBuilder("DataTime=").Append(Hj212Time.Format(start, Hj212Time.ChinaOffset));
        foreach (var (channel, factor) in factors.OrderBy(f => f.Value.Code, StringComparer.Ordinal))
        {
            var carrying = records.Where(r => r.Values.ContainsKey(channel)).ToList();
            if (carrying.Count == 0) continue;
            var valid = carrying.Where(r => (r.Quality & QualityBits.NotEvidence) == 0).ToList();
            var used = valid.Count > 0 ? valid : carrying;
            var values = used.Select(r => r.Values[channel]).ToList();
            var c = factor.Code;
            cp.Append(';').Append($"{c}-Min={factor.Format(values.Min())},{c}-Avg={factor.Format(values.Average())},{c}-Max={factor.Format(values.Max())},{c}-Flag=")
                .Append(valid.Count > 0 ? Hj212DataFlags.Normal : Flag(used.Aggregate(0, (q, r) => q | r.Quality)));
        }
        return cp.ToString();
    }

    /// <summary>HJ 212's data flag for a minute with no valid record: M maintenance (calibration, warming up; the case opened
    /// in maintenance mode too), D fault otherwise (sensor fault, clock not synchronised, tamper outside maintenance).</summary>
    public static string Flag(int quality) =>
        (quality & (QualityBits.Maintenance | QualityBits.WarmUp)) != 0 && (quality & QualityBits.SensorFault) == 0 ? Hj212DataFlags.Maintenance : Hj212DataFlags.Fault;

    /// <summary>A QN after <paramref name="last"/>: QNs tell frames apart for the 9014s, so two frames made in the same
    /// millisecond get successive ones.</summary>
    private static string NextQn(string? last, DateTimeOffset now)
    {
        var qn = Hj212Time.Qn(now, Hj212Time.ChinaOffset);
        if (last is null || string.CompareOrdinal(qn, last) > 0 || !Hj212Time.TryParse(last, Hj212Time.ChinaOffset, out var previous)) return qn;
        return Hj212Time.Qn(previous.AddMilliseconds(1), Hj212Time.ChinaOffset);
    }

    /// <summary>The next frame to send to <paramref name="mn"/>: never-sent frames first (new data first, oldest minute
    /// first among them), then re-sends whose retry time has come.</summary>
    public QueuedFrame? Next(string mn)
    {
        using var connection = database.Open();
        return connection.QueryFirstOrDefault<FrameRow>(
            $"""
            SELECT {Columns} FROM hj212_frames WHERE mn = @mn AND acked_at IS NULL AND (retry_at IS NULL OR retry_at <= @now)
            ORDER BY sends = 0 DESC, data_time LIMIT 1
            """, new { mn, now = clock.GetUtcNow().ToUnixTimeMilliseconds() })?.ToFrame();
    }

    /// <summary>The stored frames of an MN and CN with DataTime in [from, to] (unix seconds), for a history request.</summary>
    public IReadOnlyList<QueuedFrame> Between(string mn, string cn, long from, long to)
    {
        using var connection = database.Open();
        return connection.Query<FrameRow>($"SELECT {Columns} FROM hj212_frames WHERE mn = @mn AND cn = @cn AND data_time BETWEEN @from AND @to ORDER BY data_time",
            new { mn, cn, from, to }).Select(r => r.ToFrame()).ToList();
    }

    public void Sent(long id)
    {
        using var connection = database.Open();
        connection.Execute("UPDATE hj212_frames SET sends = sends + 1, last_sent_at = @now WHERE id = @id", new { id, now = clock.GetUtcNow().ToUnixTimeMilliseconds() });
    }

    /// <summary>A 9014 from the platform: the frame of that MN and QN is delivered.</summary>
    public bool Acknowledged(string mn, string qn)
    {
        using var connection = database.Open();
        return connection.Execute("UPDATE hj212_frames SET acked_at = @now WHERE mn = @mn AND qn = @qn AND acked_at IS NULL",
            new { mn, qn, now = clock.GetUtcNow().ToUnixTimeMilliseconds() }) > 0;
    }

    /// <summary>The frame went unacknowledged through a round of <paramref name="sendsPerRound"/> sends: kept for later,
    /// RetryMinutes doubling per round.</summary>
    public void Postpone(QueuedFrame frame, int sendsPerRound)
    {
        var rounds = Math.Max(1, (frame.Sends + sendsPerRound) / sendsPerRound);
        var minutes = Math.Min(Options.RetryMinutes * Math.Pow(2, Math.Min(rounds - 1, 16)), Options.MaxRetryMinutes);
        using var connection = database.Open();
        connection.Execute("UPDATE hj212_frames SET retry_at = @at WHERE id = @id",
            new { id = frame.Id, at = clock.GetUtcNow().AddMinutes(minutes).ToUnixTimeMilliseconds() });
    }

    /// <summary>Deletes frames acknowledged more than <see cref="ForwardingOptions.AcknowledgedDays"/> ago (in batches, each
    /// its own transaction); returns how many. Frames not yet acknowledged are never deleted, however old.</summary>
    public long TrimAcknowledged()
    {
        if (Options.AcknowledgedDays <= 0) return 0;
        var before = clock.GetUtcNow().AddDays(-Options.AcknowledgedDays).ToUnixTimeMilliseconds();
        using var connection = database.Open();
        long total = 0;
        int deleted;
        do
        {
            deleted = connection.Execute("DELETE FROM hj212_frames WHERE id IN (SELECT id FROM hj212_frames WHERE acked_at < @before LIMIT 5000)", new { before });
            total += deleted;
        } while (deleted == 5000);
        if (total > 0) logger.LogInformation("HJ 212: deleted {Count} frames acknowledged before {Before}", total, DateTimeOffset.FromUnixTimeMilliseconds(before));
        return total;
    }

    /// <summary>Journal rows not yet read by the forwarder, and its cursor (the stage's health probe).</summary>
    public (long Pending, long Position) Behind()
    {
        var cursor = journal.Cursor(Cursor);
        return (journal.LatestRowId() - cursor, cursor);
    }

    /// <summary>Per reporting site: frames waiting (never sent or re-sent without a 9014 yet), acknowledged, the oldest waiting
    /// minute, the last acknowledgement and the minutes still waiting for their devices.</summary>
    public IReadOnlyList<QueueDepth> Depth()
    {
        using var connection = database.Open();
        var frames = connection.Query<(string site, string platform, string mn, long pending, long unacked, long acked, long? oldest, long? last)>(
            """
            SELECT site, platform, mn, SUM(CASE WHEN acked_at IS NULL THEN 1 ELSE 0 END), SUM(CASE WHEN acked_at IS NULL AND sends > 0 THEN 1 ELSE 0 END),
                   SUM(CASE WHEN acked_at IS NOT NULL THEN 1 ELSE 0 END),
                   MIN(CASE WHEN acked_at IS NULL THEN data_time END), MAX(acked_at)
            FROM hj212_frames GROUP BY site, platform, mn
            """).ToDictionary(f => (f.site, f.mn));
        var open = connection.Query<(string site, long minutes)>("SELECT site, COUNT(DISTINCT minute) FROM hj212_open GROUP BY site").ToDictionary(o => o.site, o => o.minutes);
        var sites = reporting.Current.Values.Select(s => (site: s.Site, s.Mn, s.Platform)).Concat(frames.Keys.Select(k => (k.site, Mn: k.mn, Platform: frames[k].platform)))
            .Distinct().OrderBy(s => s.Platform, StringComparer.Ordinal).ThenBy(s => s.site, StringComparer.Ordinal);
        return sites.Select(s =>
        {
            var f = frames.GetValueOrDefault((s.site, s.Mn));
            return new QueueDepth(s.Platform, s.site, s.Mn, f.pending, f.unacked, f.acked,
                f.oldest is { } o ? DateTimeOffset.FromUnixTimeSeconds(o).UtcDateTime : null,
                f.last is { } l ? DateTimeOffset.FromUnixTimeMilliseconds(l).UtcDateTime : null, open.GetValueOrDefault(s.site));
        }).ToList();
    }

    private const string Columns = "id, site, platform, mn, cn, data_time, qn, cp, sends, acked_at";

    private sealed record FrameRow(long id, string site, string platform, string mn, string cn, long data_time, string qn, string cp, long sends, long? acked_at)
    {
        public QueuedFrame ToFrame() => new(id, site, platform, mn, cn, data_time, qn, cp, (int)sends, acked_at);
    }
}
