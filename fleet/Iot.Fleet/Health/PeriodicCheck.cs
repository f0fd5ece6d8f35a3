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
                check();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "{What} failed; trying again at the next tick", what);
            }
        } while (await timer.WaitForNextTickAsync(stop).AsTask().ContinueWith(t => t is { IsCompletedSuccessfully: true, Result: true }, TaskScheduler.Default));
    }
}
