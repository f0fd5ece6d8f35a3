namespace Iot.Fleet.Rules;

/// <summary>
/// `fume.suspected_evasion`: a restaurant's gateway silent (Leads/OfflineWatch) or tampered with (<see cref="RuleEngine"/>) in the
/// site's business hours, an inspectors' lead of its own kind: unplugging or opening the monitor is how a kitchen would hide a
/// purifier left off. The lead's detail says which it was; the two are separate leads, since backfilled records withdraw a
/// silence (the gateway only lost its network) but never a tamper event. Outside business hours both stay integrity alerts.
/// </summary>
public static class SuspectedEvasion
{
    public const string RuleId = "fume.suspected_evasion";

    /// <summary>How the detail of a silence lead begins.</summary>
    public const string SilenceDetail = "gateway silent in business hours";

    /// <summary>How the detail of a tamper lead begins.</summary>
    public const string TamperDetail = "tamper event in business hours";

    /// <summary>True for a lead raised by a tamper event rather than by silence.</summary>
    public static bool IsTamper(Lead lead) => lead.Detail?.StartsWith(TamperDetail, StringComparison.Ordinal) == true;

    /// <summary>What a suspected-evasion lead rests on, `tamper` or `silence` (the glossary's `evasion.*`); null for other leads.</summary>
    public static string? CauseOf(Lead lead) => lead.Rule != RuleId ? null : IsTamper(lead) ? "tamper" : "silence";
}
