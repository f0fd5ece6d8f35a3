using System.Data.Common;
using System.Globalization;
using Dapper;
using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.Cases;
using Iot.Fleet.Complaints;
using Iot.Fleet.Evidence;
using Iot.Fleet.Glossary;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Reports;

/// <summary>How many enforcement leads one rule, grid or site had in the month.</summary>
public sealed record ReportCount(string? Key, long Count, string? Name = null);

/// <summary>One squad's handling of the month's leads: the ranking of domain.md. Rates are 0–1, null with nothing to rate.
/// `backfilled` counts dispatched late leads: they have a review deadline, not the 30-minute response target, so the
/// response rate is over the other (live) leads only.</summary>
public sealed record SquadReport(
    string Squad,
    string? Name,
    long Dispatched,
    long Backfilled,
    long RespondedInTime,
    long Closed,
    long Confirmed,
    long Dismissed,
    long RectifyOrdered,
    long Rectified,
    double? ResponseRate,
    double? HandlingRate,
    double? RectificationRate);

/// <summary>The month's night leads: over the limit during permitted night work, and night work without a permit.</summary>
public sealed record NightWorkCounts(long Permitted, long WithoutPermit);

/// <summary>The month's night-work permits (夜间施工证明): filed, approved, refused and revoked in the month (by the day of the step).</summary>
public sealed record PermitCounts(long Filed, long Approved, long Refused, long Revoked);

/// <summary>Monitoring as it stands now (not per month: the registry keeps no past state): fume sites (restaurants with a
/// purifier watched), those with a gateway online, all devices and those online. `onlineRate` is online / devices.</summary>
public sealed record MonitoringCounts(long FumeSites, long FumeSitesOnline, long Devices, long DevicesOnline, double? OnlineRate);

/// <summary>Complaints of one channel or kind (or all of them: `key` null) received in the month: how many were answered by
/// now, how many within the answer days (`Complaints:AnswerDays`). Rates are of those received, null with none.</summary>
public sealed record ComplaintCount(string? Key, long Received, long Answered, long AnsweredOnTime)
{
    /// <summary>Answered of received (答复率).</summary>
    public double? AnswerRate => Received == 0 ? null : Math.Round((double)Answered / Received, 4);

    /// <summary>Answered within the answer days, of received (按时答复率): an unanswered complaint is not on time.</summary>
    public double? OnTimeRate => Received == 0 ? null : Math.Round((double)AnsweredOnTime / Received, 4);
}

/// <summary>The month's complaints (投诉举报) by the day they came in: all of them, by channel and by kind (every channel and
/// kind listed, with zeros), and the answer days they were measured against.</summary>
public sealed record ComplaintCounts(ComplaintCount All, IReadOnlyList<ComplaintCount> Channels, IReadOnlyList<ComplaintCount> Kinds, int AnswerDays);

/// <summary>A month's headline figures, for the comparisons month on month and year on year.</summary>
public sealed record MonthFigures(string Month, long Leads, long NightWithoutPermit, long Closed, long Dismissed, long RespondedInTime, long LiveDispatched,
    long NoticesServed, long PermitsFiled, long CasesFiled = 0, decimal FinesYuan = 0, long Complaints = 0, long ComplaintsAnswered = 0,
    long ComplaintsOnTime = 0)
{
    /// <summary>Complaints answered of received, null with none.</summary>
    public double? ComplaintAnswerRate => Complaints == 0 ? null : (double)ComplaintsAnswered / Complaints;

    /// <summary>Complaints answered on time of received, null with none.</summary>
    public double? ComplaintOnTimeRate => Complaints == 0 ? null : (double)ComplaintsOnTime / Complaints;

    /// <summary>Dismissed of closed: the share of leads found wrong on site (无效线索率), null with none closed.</summary>
    public double? WrongLeadRate => Closed == 0 ? null : (double)Dismissed / Closed;

    /// <summary>On site within 30 minutes of dispatched live leads, null with none.</summary>
    public double? ResponseRate => LiveDispatched == 0 ? null : (double)RespondedInTime / LiveDispatched;
}

/// <summary>GET /api/reports/monthly: the month's most frequent rules, grids, sites and hours of day, the night leads
/// with and without a permit, and the squads. `hours[h]` counts leads whose episode began in local hour h. `audit_chain`
/// is the audit log's hash-chain head at the month's end (or now, for the running month): printed, it fixes the log as
/// it stood; `evidence_key` is the fingerprint of the key that signs evidence bundles now.</summary>
public sealed record MonthlyReportView(
    string Month,
    string Timezone,
    DateTime From,
    DateTime To,
    long Leads,
    long NotDispatched,
    IReadOnlyList<ReportCount> Rules,
    IReadOnlyList<ReportCount> Grids,
    IReadOnlyList<ReportCount> Sites,
    IReadOnlyList<long> Hours,
    IReadOnlyList<SquadReport> Squads,
    NightWorkCounts NightWork,
    AuditHead? AuditChain = null,
    string? EvidenceKey = null)
{
    /// <summary>Night-work permits filed and decided in the month.</summary>
    public PermitCounts Permits { get; init; } = new(0, 0, 0, 0);

    /// <summary>Notices (告知书) served in the month.</summary>
    public long NoticesServed { get; init; }

    /// <summary>The month's dismissed leads by reason (<see cref="CaseRules.DismissReasons"/>).</summary>
    public IReadOnlyList<ReportCount> Dismissals { get; init; } = [];

    /// <summary>Dispatched live leads by minutes from raised to on site: `0-10`, `10-20`, `20-30`, `30-60`, `60+`, and `none`
    /// (nobody on site yet).</summary>
    public IReadOnlyList<ReportCount> ResponseTimes { get; init; } = [];

    public MonitoringCounts? Monitoring { get; init; }

    /// <summary>Complaints received in the month and their answers.</summary>
    public ComplaintCounts? Complaints { get; init; }

    /// <summary>This month's, the month before's and the same month a year before's headline figures.</summary>
    public MonthFigures? Figures { get; init; }
    public MonthFigures? PreviousMonth { get; init; }
    public MonthFigures? YearBefore { get; init; }
}

/// <summary>A device of a site with what the ingest last heard (`status` as in GET /api/devices/{id}).</summary>
public sealed record SiteDevice(string Id, string Status, DateTime? LastSeen, string? Firmware);

/// <summary>GET /api/reports/sites: every site with its place, squad, devices and open enforcement leads, for the map.</summary>
public sealed record SiteOverview(
    string Id,
    string Name,
    string Kind,
    string? Grid,
    double? Lat,
    double? Lon,
    string? Squad,
    bool Commissioned,
    IReadOnlyList<SiteDevice> Devices,
    long OpenLeads,
    long Leads30d);

/// <summary>
/// The monthly report, computed in SQL over the fleet database. A lead belongs to the month in which its episode
/// began (its first breaching window), in the bureau's time zone; only enforcement leads count (not integrity alerts,
/// not breaches of uncommissioned sites). A squad's figures cover the month's leads whose case it holds now.
/// </summary>
public sealed class MonthlyReport(FleetDatabase database, TimeProvider clock, EvidenceKeys? keys = null, IOptions<ComplaintOptions>? complaints = null)
{
    private readonly int _answerDays = (complaints?.Value ?? new ComplaintOptions()).AnswerDays;

    /// <summary>The bureau's zone: months and hours of day are counted in it.</summary>
    public const string Timezone = LocalTime.BureauZone;

    private const string MonthLeads =
        """
        SELECT l.id, l.rule, l.site, l.start_minute, l.raised_at, l.permit, l.late, s.grid, s.name AS site_name FROM leads l LEFT JOIN sites s ON s.id = l.site
        WHERE l.queue = 'enforcement' AND l.status = 'new' AND l.start_minute >= @from AND l.start_minute < @to
        """;

    /// <summary>The report of <paramref name="month"/> (`YYYY-MM`); refuses another shape (400).</summary>
    public MonthlyReportView Build(string month)
    {
        var (first, from, to) = BureauMonth.Span(month);
        // Asia/Shanghai keeps one offset all year, so an hour of day is (UTC seconds + offset) / 3600 mod 24 in SQL.
        var p = Parameters(from, to);

        using var connection = database.Open();
        var total = connection.ExecuteScalar<long>($"SELECT COUNT(*) FROM ({MonthLeads}) m", p);
        var rules = Counts(connection, $"SELECT m.rule AS Key, COUNT(*) AS Count, NULL AS Name FROM ({MonthLeads}) m GROUP BY m.rule", p);
        var grids = Counts(connection, $"SELECT m.grid AS Key, COUNT(*) AS Count, NULL AS Name FROM ({MonthLeads}) m GROUP BY m.grid", p);
        var sites = Counts(connection, $"SELECT m.site AS Key, COUNT(*) AS Count, MAX(m.site_name) AS Name FROM ({MonthLeads}) m GROUP BY m.site", p);
        var hours = new long[24];
        foreach (var (hour, count) in connection.Query<(long Hour, long Count)>(
                     $"SELECT ((m.start_minute * 60 + @offset) / 3600) % 24 AS Hour, COUNT(*) AS Count FROM ({MonthLeads}) m GROUP BY Hour", p))
            hours[hour] = count;
        var night = connection.QueryFirst<(long Permitted, long WithoutPermit)>(
            $"SELECT COUNT(m.permit), COUNT(*) - COUNT(m.permit) FROM ({MonthLeads}) m WHERE m.rule IN @night", p);
        var notDispatched = connection.ExecuteScalar<long>(
            $"SELECT COUNT(*) FROM ({MonthLeads}) m LEFT JOIN cases c ON c.lead = m.id WHERE c.squad IS NULL", p);
        var squads = connection.Query<SquadRow>(
            $"""
            SELECT c.squad AS Squad, q.name AS Name, COUNT(*) AS Dispatched, SUM(CASE WHEN m.late <> 0 THEN 1 ELSE 0 END) AS Backfilled,
                SUM(CASE WHEN m.late = 0 AND c.responded_at IS NOT NULL AND c.responded_at <= m.raised_at + @target THEN 1 ELSE 0 END) AS RespondedInTime,
                SUM(CASE WHEN c.status IN ('confirmed', 'dismissed') THEN 1 ELSE 0 END) AS Closed,
                SUM(CASE WHEN c.status = 'confirmed' THEN 1 ELSE 0 END) AS Confirmed,
                SUM(CASE WHEN c.status = 'dismissed' THEN 1 ELSE 0 END) AS Dismissed,
                SUM(CASE WHEN c.rectify_by IS NOT NULL THEN 1 ELSE 0 END) AS RectifyOrdered,
                SUM(CASE WHEN c.recheck = 'rectified' THEN 1 ELSE 0 END) AS Rectified
            FROM ({MonthLeads}) m JOIN cases c ON c.lead = m.id LEFT JOIN squads q ON q.id = c.squad
            WHERE c.squad IS NOT NULL
            GROUP BY c.squad, q.name ORDER BY Dispatched DESC, c.squad
            """, p)
            .Select(r => new SquadReport(r.Squad, r.Name, r.Dispatched, r.Backfilled, r.RespondedInTime, r.Closed, r.Confirmed, r.Dismissed, r.RectifyOrdered,
                r.Rectified, Rate(r.RespondedInTime, r.Dispatched - r.Backfilled), Rate(r.Closed, r.Dispatched), Rate(r.Rectified, r.RectifyOrdered)))
            .ToList();
        var head = AuditChain.Head(connection, Math.Min(to.ToUnixTimeMilliseconds(), clock.GetUtcNow().ToUnixTimeMilliseconds() + 1));
        var permits = connection.QueryFirst<PermitRow>(
            """
            SELECT COALESCE(SUM(CASE WHEN status = 'filed' THEN 1 ELSE 0 END), 0) AS Filed, COALESCE(SUM(CASE WHEN status = 'approved' THEN 1 ELSE 0 END), 0) AS Approved,
                COALESCE(SUM(CASE WHEN status = 'refused' THEN 1 ELSE 0 END), 0) AS Refused, COALESCE(SUM(CASE WHEN status = 'revoked' THEN 1 ELSE 0 END), 0) AS Revoked
            FROM permit_history WHERE at >= @fromMs AND at < @toMs
            """, p);
        var dismissals = Counts(connection,
            $"SELECT COALESCE(c.close_reason, 'other') AS Key, COUNT(*) AS Count, NULL AS Name FROM ({MonthLeads}) m JOIN cases c ON c.lead = m.id WHERE c.status = 'dismissed' GROUP BY COALESCE(c.close_reason, 'other')", p);
        var responses = connection.Query<long?>(
            $"SELECT c.responded_at - m.raised_at FROM ({MonthLeads}) m JOIN cases c ON c.lead = m.id WHERE c.squad IS NOT NULL AND m.late = 0", p).ToList();
        return new MonthlyReportView(month, Timezone, from.UtcDateTime, to.UtcDateTime, total, notDispatched, rules, grids, sites, hours, squads,
            new NightWorkCounts(night.Permitted, night.WithoutPermit), head, keys?.Current.Fingerprint)
        {
            Permits = new PermitCounts(permits.Filed, permits.Approved, permits.Refused, permits.Revoked),
            NoticesServed = connection.ExecuteScalar<long>("SELECT COUNT(*) FROM notice_services WHERE served_at >= @fromS AND served_at < @toS", p),
            Dismissals = dismissals,
            ResponseTimes = ResponseBuckets(responses),
            Monitoring = Monitoring(connection),
            Complaints = Complaints(connection, p),
            Figures = Figures(connection, month),
            PreviousMonth = Figures(connection, first.AddMonths(-1).ToString("yyyy-MM", CultureInfo.InvariantCulture)),
            YearBefore = Figures(connection, first.AddYears(-1).ToString("yyyy-MM", CultureInfo.InvariantCulture)),
        };
    }

    private object Parameters(DateTimeOffset from, DateTimeOffset to) => new
    {
        answerMs = _answerDays * 86_400_000L,
        from = from.ToUnixTimeSeconds() / 60, to = to.ToUnixTimeSeconds() / 60, offset = (long)from.Offset.TotalSeconds,
        fromMs = from.ToUnixTimeMilliseconds(), toMs = to.ToUnixTimeMilliseconds(), fromS = from.ToUnixTimeSeconds(), toS = to.ToUnixTimeSeconds(),
        target = (long)CaseRules.ResponseTarget.TotalMilliseconds, night = Rule.All.Where(r => r.AtNight).Select(r => r.Id).ToList(),
    };

    /// <summary>The headline figures of <paramref name="month"/>, counted the same way as the report's tables.</summary>
    private MonthFigures Figures(DbConnection connection, string month)
    {
        var (_, from, to) = BureauMonth.Span(month);
        var p = Parameters(from, to);
        var leads = connection.QueryFirst<FigureRow>(
            $"""
            SELECT COUNT(*) AS Leads,
                COALESCE(SUM(CASE WHEN m.rule IN @night AND m.permit IS NULL THEN 1 ELSE 0 END), 0) AS NightWithoutPermit,
                COALESCE(SUM(CASE WHEN c.status IN ('confirmed', 'dismissed') THEN 1 ELSE 0 END), 0) AS Closed,
                COALESCE(SUM(CASE WHEN c.status = 'dismissed' THEN 1 ELSE 0 END), 0) AS Dismissed,
                COALESCE(SUM(CASE WHEN c.squad IS NOT NULL AND m.late = 0 AND c.responded_at IS NOT NULL AND c.responded_at <= m.raised_at + @target THEN 1 ELSE 0 END), 0) AS RespondedInTime,
                COALESCE(SUM(CASE WHEN c.squad IS NOT NULL AND m.late = 0 THEN 1 ELSE 0 END), 0) AS LiveDispatched,
                COALESCE(SUM(CASE WHEN c.case_number IS NOT NULL THEN 1 ELSE 0 END), 0) AS CasesFiled,
                COALESCE(SUM(c.fine_fen), 0) AS FineFen
            FROM ({MonthLeads}) m LEFT JOIN cases c ON c.lead = m.id
            """, p);
        var complaints = ComplaintRows(connection, "", p).FirstOrDefault() ?? new ComplaintCount(null, 0, 0, 0);
        return new MonthFigures(month, leads.Leads, leads.NightWithoutPermit, leads.Closed, leads.Dismissed, leads.RespondedInTime, leads.LiveDispatched,
            connection.ExecuteScalar<long>("SELECT COUNT(*) FROM notice_services WHERE served_at >= @fromS AND served_at < @toS", p),
            connection.ExecuteScalar<long>("SELECT COUNT(*) FROM permit_history WHERE status = 'filed' AND at >= @fromMs AND at < @toMs", p),
            leads.CasesFiled, leads.FineFen / 100m, complaints.Received, complaints.Answered, complaints.AnsweredOnTime);
    }

    /// <summary>The month's complaints by the day they came in (the bureau's zone), answered by now, and answered within the
    /// answer days; every channel and kind of <see cref="ComplaintRules"/> with its count, zero or not.</summary>
    private ComplaintCounts Complaints(DbConnection connection, object p)
    {
        var all = ComplaintRows(connection, "", p).FirstOrDefault() ?? new ComplaintCount(null, 0, 0, 0);
        var channels = ComplaintRows(connection, "channel", p).ToDictionary(c => c.Key ?? "", StringComparer.Ordinal);
        var kinds = ComplaintRows(connection, "kind", p).ToDictionary(c => c.Key ?? "", StringComparer.Ordinal);
        return new ComplaintCounts(all, [.. ComplaintRules.Channels.Select(c => channels.GetValueOrDefault(c) ?? new ComplaintCount(c, 0, 0, 0))],
            [.. ComplaintRules.Kinds.Select(k => kinds.GetValueOrDefault(k) ?? new ComplaintCount(k, 0, 0, 0))], _answerDays);
    }

    /// <summary>Complaints received in the span, grouped by <paramref name="column"/> (`channel`, `kind`) or all together ("").</summary>
    private static IEnumerable<ComplaintCount> ComplaintRows(DbConnection connection, string column, object p) =>
        connection.Query<ComplaintRow>(
                $"""
                SELECT {(column == "" ? "NULL" : column)} AS Key, COUNT(*) AS Received,
                    COALESCE(SUM(CASE WHEN answered_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS Answered,
                    COALESCE(SUM(CASE WHEN {ComplaintRules.OnTimeSql} THEN 1 ELSE 0 END), 0) AS AnsweredOnTime
                FROM complaints WHERE received_at >= @fromMs AND received_at < @toMs{(column == "" ? "" : $" GROUP BY {column}")}
                """, p)
            .Select(r => new ComplaintCount(r.Key, r.Received, r.Answered, r.AnsweredOnTime));

    /// <summary>Minutes from raised to on site, in the bands the bureau's reports use around the 30-minute target.</summary>
    private static IReadOnlyList<ReportCount> ResponseBuckets(IReadOnlyList<long?> tookMs)
    {
        string Band(long? ms) => ms switch
        {
            null => "none",
            <= 10 * 60_000 => "0-10",
            <= 20 * 60_000 => "10-20",
            <= 30 * 60_000 => "20-30",
            <= 60 * 60_000 => "30-60",
            _ => "60+",
        };
        var counts = tookMs.GroupBy(Band).ToDictionary(g => g.Key, g => (long)g.Count());
        return ResponseBands.Select(b => new ReportCount(b, counts.GetValueOrDefault(b))).ToList();
    }

    /// <summary>The response bands in order (the keys of <see cref="MonthlyReportView.ResponseTimes"/>).</summary>
    public static readonly IReadOnlyList<string> ResponseBands = ["0-10", "10-20", "20-30", "30-60", "60+", "none"];

    private static MonitoringCounts Monitoring(DbConnection connection)
    {
        var row = connection.QueryFirst<MonitoringRow>(
            """
            SELECT (SELECT COUNT(*) FROM sites s WHERE s.kind LIKE '%fume%') AS FumeSites,
                (SELECT COUNT(DISTINCT d.site) FROM devices d JOIN device_state st ON st.dev = d.id JOIN sites s ON s.id = d.site
                 WHERE st.online = 1 AND s.kind LIKE '%fume%') AS FumeSitesOnline,
                (SELECT COUNT(*) FROM devices d WHERE d.site IS NOT NULL) AS Devices,
                (SELECT COUNT(*) FROM devices d JOIN device_state st ON st.dev = d.id WHERE d.site IS NOT NULL AND st.online = 1) AS DevicesOnline
            """);
        return new MonitoringCounts(row.FumeSites, row.FumeSitesOnline, row.Devices, row.DevicesOnline, Rate(row.DevicesOnline, row.Devices));
    }

    /// <summary>Every site for the map and the sites page: open leads are enforcement leads whose case is not closed.</summary>
    public IReadOnlyList<SiteOverview> Sites()
    {
        var since = clock.GetUtcNow().AddDays(-30).ToUnixTimeMilliseconds();
        using var connection = database.Open();
        var devices = connection.Query<(string Id, string Site, long? LastSeen, string? Firmware, long? Online)>(
                "SELECT d.id, d.site, st.last_seen, st.firmware, st.online FROM devices d LEFT JOIN device_state st ON st.dev = d.id WHERE d.site IS NOT NULL ORDER BY d.id")
            .ToLookup(d => d.Site, d => new SiteDevice(d.Id,
                d.Online switch { 1 => "online", 0 => "offline", _ => d.LastSeen is null ? "never seen" : "unknown" },
                d.LastSeen is { } seen ? DateTimeOffset.FromUnixTimeMilliseconds(seen).UtcDateTime : null, d.Firmware));
        // The leads are counted in one pass grouped by site: a count per site would read the queue once for every site.
        var counts = connection.Query<(string Site, long Open, long Recent)>(
                """
                SELECT l.site,
                    COALESCE(SUM(CASE WHEN COALESCE(c.status, 'open') NOT IN ('confirmed', 'dismissed') THEN 1 ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN l.raised_at >= @since THEN 1 ELSE 0 END), 0)
                FROM leads l LEFT JOIN cases c ON c.lead = l.id WHERE l.queue = 'enforcement' AND l.status = 'new' GROUP BY l.site
                """, new { since })
            .ToDictionary(c => c.Site, c => (c.Open, c.Recent), StringComparer.Ordinal);
        return connection.Query<SiteRow>(
                """
                SELECT s.id AS Id, s.name AS Name, s.kind AS Kind, s.grid AS Grid, s.lat AS Lat, s.lon AS Lon, g.squad AS Squad,
                    EXISTS (SELECT 1 FROM commissioning k WHERE k.site = s.id AND k.passed = 1) AS Commissioned
                FROM sites s LEFT JOIN squad_grids g ON g.grid = s.grid ORDER BY s.id
                """)
            .Select(r => new SiteOverview(r.Id, r.Name, r.Kind, r.Grid, r.Lat, r.Lon, r.Squad, r.Commissioned != 0, [.. devices[r.Id]],
                counts.GetValueOrDefault(r.Id).Open, counts.GetValueOrDefault(r.Id).Recent))
            .ToList();
    }

    private static List<ReportCount> Counts(DbConnection connection, string sql, object p) =>
        connection.Query<(string? Key, long Count, string? Name)>($"{sql} ORDER BY Count DESC, Key", p).Select(c => new ReportCount(c.Key, c.Count, c.Name)).ToList();

    private static double? Rate(long part, long whole) => whole == 0 ? null : Math.Round((double)part / whole, 4);

    // Classes with setters, not records: Dapper then maps computed SQLite columns by name whatever type the first row has.
    private sealed class PermitRow
    {
        public long Filed { get; set; }
        public long Approved { get; set; }
        public long Refused { get; set; }
        public long Revoked { get; set; }
    }

    private sealed class FigureRow
    {
        public long Leads { get; set; }
        public long NightWithoutPermit { get; set; }
        public long Closed { get; set; }
        public long Dismissed { get; set; }
        public long RespondedInTime { get; set; }
        public long LiveDispatched { get; set; }
        public long CasesFiled { get; set; }
        public long FineFen { get; set; }
    }

    private sealed class ComplaintRow
    {
        public string? Key { get; set; }
        public long Received { get; set; }
        public long Answered { get; set; }
        public long AnsweredOnTime { get; set; }
    }

    private sealed class MonitoringRow
    {
        public long FumeSites { get; set; }
        public long FumeSitesOnline { get; set; }
        public long Devices { get; set; }
        public long DevicesOnline { get; set; }
    }

    private sealed class SquadRow
    {
        public string Squad { get; set; } = "";
        public string? Name { get; set; }
        public long Dispatched { get; set; }
        public long Backfilled { get; set; }
        public long RespondedInTime { get; set; }
        public long Closed { get; set; }
        public long Confirmed { get; set; }
        public long Dismissed { get; set; }
        public long RectifyOrdered { get; set; }
        public long Rectified { get; set; }
    }

    private sealed class SiteRow
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string Kind { get; set; } = "";
        public string? Grid { get; set; }
        public double? Lat { get; set; }
        public double? Lon { get; set; }
        public string? Squad { get; set; }
        public long Commissioned { get; set; }
    }
}
