namespace Iot.Fleet.Forwarding;

/// <summary>Options of the HJ 212 forwarder (section "Hj212"): the environmental platforms the bureaus report to, and
/// which sites report to which, under the MN the platform gave them. No platform configured: nothing is forwarded.</summary>
public sealed class ForwardingOptions
{
    /// <summary>Platforms by name.</summary>
    public Dictionary<string, PlatformOptions> Platforms { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Sites that report, by site id, or by any key with the id in <see cref="ReportingSite.Site"/> (environment
    /// names cannot hold the '-' of most site ids: `Hj212__Sites__0__Site=K-12`).</summary>
    public Dictionary<string, ReportingSite> Sites { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The configured reporting sites by site id (<see cref="ReportingSites"/> adds those set through the API).</summary>
    public IReadOnlyDictionary<string, ReportingSite> Reporting =>
        _reporting ??= Sites.GroupBy(s => s.Value.Site ?? s.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
    private Dictionary<string, ReportingSite>? _reporting;

    /// <summary>How long a minute waits for the site's other devices before its frame is made without them. A frame is
    /// made once and never changed (the platform keeps the first it gets for a minute), so a record later than this is
    /// not forwarded.</summary>
    public double SettleSeconds { get; set; } = 120;

    /// <summary>Records older than this when the forwarder reads them are not forwarded (a site that starts reporting
    /// does not send the platform its whole past; the platform can still ask for history).</summary>
    public double MaxAgeHours { get; set; } = 48;

    /// <summary>After a frame went unacknowledged ReCount times, how long before it is tried again; doubles per round
    /// up to <see cref="MaxRetryMinutes"/>.</summary>
    public double RetryMinutes { get; set; } = 1;

    public double MaxRetryMinutes { get; set; } = 60;

    /// <summary>Days an acknowledged frame is kept (to answer the platform's history requests) before it is deleted;
    /// 0 keeps them all. At least <see cref="MaxAgeHours"/>: a minute whose frame is gone must be too old to be framed again.</summary>
    public double AcknowledgedDays { get; set; } = 30;

    /// <summary>Each wrong setting, for the start to refuse.</summary>
    public IEnumerable<string> Problems()
    {
        foreach (var (name, p) in Platforms)
        {
            if (string.IsNullOrWhiteSpace(p.Host) || p.Port is < 1 or > 65535) yield return $"Hj212:Platforms:{name}: Host and Port are required";
            if (p.Version is not (2017 or 2025)) yield return $"Hj212:Platforms:{name}:Version must be 2017 or 2025";
            if (p.St.Length is < 1 or > 5) yield return $"Hj212:Platforms:{name}:St is required (e.g. 22, 39)";
            if (p.OverTimeSeconds <= 0 || p.ReCount is < 0 or > 10) yield return $"Hj212:Platforms:{name}: OverTimeSeconds > 0 and ReCount 0…10";
        }
        if (AcknowledgedDays < 0 || AcknowledgedDays > 0 && AcknowledgedDays * 24 < MaxAgeHours)
            yield return $"Hj212:AcknowledgedDays = {AcknowledgedDays}: 0 keeps acknowledged frames; otherwise at least MaxAgeHours ({MaxAgeHours} h)";
        foreach (var group in Sites.GroupBy(s => s.Value.Site ?? s.Key, StringComparer.Ordinal).Where(g => g.Count() > 1))
            yield return $"Hj212:Sites: site {group.Key} is given more than once";
        foreach (var (site, s) in Sites)
        {
            if (!Platforms.ContainsKey(s.Platform)) yield return $"Hj212:Sites:{site}:Platform {s.Platform} is not configured";
            if (ReportingSite.MnProblem(s.Mn) is { } problem) yield return $"Hj212:Sites:{site}:Mn: {problem}";
        }
        foreach (var group in Sites.GroupBy(s => s.Value.Mn, StringComparer.Ordinal).Where(g => g.Count() > 1))
            yield return $"Hj212:Sites: MN {group.Key} is given to more than one site";
    }
}

/// <summary>One environmental platform (HJ 212 server).</summary>
public sealed class PlatformOptions
{
    public string Host { get; set; } = "";
    public int Port { get; set; }

    /// <summary>System code (ST) the platform expects: 22 air, 23 acoustic, 39 construction dust, … (platforms differ).</summary>
    public string St { get; set; } = "22";

    /// <summary>Access password (PW).</summary>
    public string Pw { get; set; } = "123456";

    /// <summary>2017 or 2025: the version bits of Flag, and RF=1 on re-sent frames under 2025.</summary>
    public int Version { get; set; } = 2017;

    /// <summary>Seconds to wait for a 9014 (OverTime), and re-sends before a frame is kept for later (ReCount, 重发次数).</summary>
    public double OverTimeSeconds { get; set; } = 5;
    public int ReCount { get; set; } = 3;

    /// <summary>Our channel → the platform's factor code, over <see cref="Hj212Factors.Default"/>; an empty code leaves the channel out.</summary>
    public Dictionary<string, string> Codes { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>A site that reports: its platform and the MN that platform assigned to it.</summary>
public sealed class ReportingSite
{
    /// <summary>The site's id when the key is not it.</summary>
    public string? Site { get; set; }

    public string Platform { get; set; } = "";
    public string Mn { get; set; } = "";

    /// <summary>Why an MN cannot be sent in a frame, or null.</summary>
    public static string? MnProblem(string? mn) =>
        string.IsNullOrWhiteSpace(mn) || mn.Length > 24 || mn.Any(c => c is ';' or ',' or '=' or '&' || char.IsWhiteSpace(c))
            ? "must be the platform's MN, at most 24 characters without ; , = & or spaces" : null;
}
