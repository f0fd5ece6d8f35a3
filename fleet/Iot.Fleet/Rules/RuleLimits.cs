namespace Iot.Fleet.Rules;

/// <summary>The fixed numbers of ../shared/spec/rules.md that no profile changes.</summary>
public static class RuleLimits
{
    /// <summary>Valid non-breaching minutes after which an episode has ended.</summary>
    public const int EpisodeEndsAfterMinutes = 10;

    /// <summary>A lead raised later than this after its first breaching window ended is late.</summary>
    public static readonly TimeSpan LateAfter = TimeSpan.FromMinutes(15);

    /// <summary>`fan` and `pur` at or above this share mean "running" for the window.</summary>
    public const double RunningShare = 0.5;

    /// <summary>Valid fan-on minutes a fume concentration window needs before it can breach.</summary>
    public const int MinimumCookingMinutes = 5;

    /// <summary>Consecutive valid minutes of one exact value that make a flatline alert.</summary>
    public const int FlatlineMinutes = 60;

    /// <summary>Minutes without records, within active hours, that make an offline alert.</summary>
    public const int OfflineAfterMinutes = 30;
}
