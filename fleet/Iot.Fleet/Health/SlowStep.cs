using System.Diagnostics;

namespace Iot.Fleet.Health;

/// <summary>Times one step of a stage and logs it when it held the stage longer than it should: a stall in the
/// ingest (a long save, a sweep over every site, a pause of the runtime) then shows in the log with what it was doing,
/// not only as latency someone measured outside.</summary>
public readonly struct SlowStep : IDisposable
{
    private readonly ILogger _logger;
    private readonly string _what;
    private readonly object? _size;
    private readonly long _started;
    private readonly TimeSpan _threshold;
    private readonly TimeSpan _gcPausedBefore;

    private SlowStep(ILogger logger, string what, object? size, TimeSpan threshold)
    {
        _logger = logger;
        _what = what;
        _size = size;
        _threshold = threshold;
        _started = Stopwatch.GetTimestamp();
        _gcPausedBefore = GC.GetTotalPauseDuration();
    }

    /// <summary>Starts timing <paramref name="what"/> (of <paramref name="size"/>, e.g. a message count); logged as a
    /// warning on dispose when it took longer than <paramref name="threshold"/>.</summary>
    public static SlowStep Watch(ILogger logger, string what, TimeSpan threshold, object? size = null) => new(logger, what, size, threshold);

    public void Dispose()
    {
        if (_logger is null) return;
        var took = Stopwatch.GetElapsedTime(_started);
        if (took < _threshold) return;
        _logger.LogWarning("Slow step: {What} ({Size}) took {Milliseconds:F0} ms, of which the runtime's GC paused {GcMilliseconds:F0} ms",
            _what, _size ?? "-", took.TotalMilliseconds, (GC.GetTotalPauseDuration() - _gcPausedBefore).TotalMilliseconds);
    }
}
