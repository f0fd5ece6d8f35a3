namespace Iot.Fleet.Health;

/// <summary>A check that runs at start and then on every tick until the fleet stops; a failing run is logged and the
/// next tick tries again, so one bad moment (a locked database, say) never ends the watch.</summary>
public static class PeriodicCheck
{
    public static async Task Run(TimeSpan interval, TimeProvider clock, Action check, ILogger logger, string what, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval, clock);
        do
        {
            try
            {
                // A check that takes a good part of its interval holds the database from others (ingest): it should show.
                using var _ = SlowStep.Watch(logger, what, interval / 4 < TimeSpan.FromSeconds(2) ? interval / 4 : TimeSpan.FromSeconds(2));
                check();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "{What} failed; trying again at the next tick", what);
            }
        } while (await timer.WaitForNextTickAsync(stop).AsTask().ContinueWith(t => t is { IsCompletedSuccessfully: true, Result: true }, TaskScheduler.Default));
    }
}
