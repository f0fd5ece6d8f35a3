using System.Collections.Concurrent;

namespace Iot.Fleet.Health;

/// <summary>How one stage of the pipeline is doing, as /healthz and the engineers see it.</summary>
public sealed record StageReport(string Stage, bool Ready, bool Stalled, long Pending, int Failures, string? LastFailure, DateTimeOffset? LastFailureAt,
    DateTimeOffset? LastProgressAt);

/// <summary>
/// The fleet's own stages (ingest, judging, InfluxDB writing, notifications, …): how often each failed and
/// whether it is stalled, meaning it has work waiting and its position has not moved for <see cref="StallAfter"/>.
/// Stages report failures themselves (<see cref="SupervisedService"/>); progress is sampled from a probe
/// each stage registers, so a stage that hangs without throwing is seen too.
/// </summary>
public sealed class FleetHealth(TimeProvider clock)
{
    /// <summary>How long a stage may hold waiting work without moving before it counts as stalled.</summary>
    public TimeSpan StallAfter { get; set; } = TimeSpan.FromSeconds(90);

    private readonly ConcurrentDictionary<string, Stage> _stages = new(StringComparer.Ordinal);

    /// <summary>Registers how to read a stage's waiting work and its position (anything that grows as it works).</summary>
    public void Watch(string stage, Func<(long Pending, long Position)> probe) => Get(stage).Probe = probe;

    /// <summary>Stops probing a stage that no longer runs here (a leader-only stage on a standby).</summary>
    public void Unwatch(string stage) => Get(stage).Probe = null;

    /// <summary>Marks a stage as running (or not); a stage that never said so is not ready.</summary>
    public void SetRunning(string stage, bool running) => Get(stage).Running = running;

    /// <summary>Counts a failure of the stage (it is restarted by its supervisor).</summary>
    public void Failed(string stage, Exception error)
    {
        var s = Get(stage);
        lock (s)
        {
            s.Failures++;
            s.LastFailure = $"{error.GetType().Name}: {error.Message}";
            s.LastFailureAt = clock.GetUtcNow();
        }
    }

    /// <summary>Every stage's state now; samples the probes.</summary>
    public IReadOnlyList<StageReport> Report()
    {
        var now = clock.GetUtcNow();
        var reports = new List<StageReport>();
        foreach (var (name, s) in _stages.OrderBy(p => p.Key, StringComparer.Ordinal))
            lock (s)
            {
                long pending = 0;
                var stalled = false;
                if (s.Probe is { } probe)
                {
                    try
                    {
                        (pending, var position) = probe();
                        if (position != s.Position || pending <= 0 || s.ProgressAt is null)
                        {
                            s.Position = position;
                            s.ProgressAt = now;
                        }
                        stalled = pending > 0 && now - s.ProgressAt > StallAfter;
                    }
                    catch (Exception e)
                    {
                        // A probe that cannot read (database locked, disk gone) says so as a stall.
                        s.LastFailure = $"probe: {e.Message}";
                        stalled = true;
                    }
                }
                reports.Add(new StageReport(name, s.Running, stalled, pending, s.Failures, s.LastFailure, s.LastFailureAt, s.ProgressAt));
            }
        return reports;
    }

    private Stage Get(string stage) => _stages.GetOrAdd(stage, _ => new Stage());

    private sealed class Stage
    {
        public Func<(long, long)>? Probe;
        public bool Running;
        public long Position;
        public DateTimeOffset? ProgressAt;
        public int Failures;
        public string? LastFailure;
        public DateTimeOffset? LastFailureAt;
    }
}
