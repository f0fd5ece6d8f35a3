namespace Iot.Fleet.Health;

/// <summary>
/// A background stage that is restarted when it fails, with backoff (1 s doubling to a minute, reset after a
/// minute of good running), and whose failures are counted in <see cref="FleetHealth"/>. One bad message or a
/// database error therefore never stops the fleet's host; stages keep their own per-message try/catch so
/// that a failure here is the rare kind (a lost connection, a full disk).
/// </summary>
public abstract class SupervisedService(FleetHealth health, ILogger logger, TimeProvider clock) : BackgroundService
{
    /// <summary>Where the stage reports failures and progress probes.</summary>
    protected FleetHealth Health { get; } = health;

    protected TimeProvider Clock { get; } = clock;

    protected ILogger Logger { get; } = logger;

    private static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1), LongestDelay = TimeSpan.FromMinutes(1);

    /// <summary>The stage's name in /healthz and alerts.</summary>
    protected abstract string Stage { get; }

    /// <summary>The stage's work; returns or throws only when it stops.</summary>
    protected abstract Task RunAsync(CancellationToken stop);

    protected sealed override async Task ExecuteAsync(CancellationToken stop)
    {
        try
        {
            await Supervise(stop);
        }
        finally
        {
            // Stopped (the host ends, or a leader-only stage on an instance that no longer leads): no waiting work to watch here.
            Health.Unwatch(Stage);
        }
    }

    private async Task Supervise(CancellationToken stop)
    {
        await Task.Yield();
        var delay = FirstDelay;
        while (!stop.IsCancellationRequested)
        {
            var started = Clock.GetUtcNow();
            Health.SetRunning(Stage, true);
            try
            {
                await RunAsync(stop);
                if (stop.IsCancellationRequested) return;
                Logger.LogWarning("{Stage} ended by itself; restarting it", Stage);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Health.Failed(Stage, e);
                Logger.LogError(e, "{Stage} failed; restarting it in {Delay}", Stage, delay);
            }
            finally
            {
                Health.SetRunning(Stage, false);
            }
            if (Clock.GetUtcNow() - started > LongestDelay) delay = FirstDelay;
            try
            {
                await Task.Delay(delay, Clock, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestDelay.Ticks));
        }
    }
}
