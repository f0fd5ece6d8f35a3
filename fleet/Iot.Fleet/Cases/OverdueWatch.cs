using Iot.Fleet.Rules;

namespace Iot.Fleet.Cases;

/// <summary>Looks every <see cref="Interval"/> for leads past their 30-minute response target with nobody on site.</summary>
public sealed class OverdueWatch(CaseStore cases, ILogger<OverdueWatch> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                foreach (var late in cases.DetectOverdue())
                    logger.LogInformation("Lead {Lead} at {Site} passed its response target ({Due:u}) with nobody on site", late.Lead, late.Site, late.ResponseDue);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Overdue check failed ({Reason}); trying again in {Interval}", e.Message, Interval);
            }
        } while (await timer.WaitForNextTickAsync(stop).AsTask().ContinueWith(t => !t.IsCanceled && t.Result, TaskScheduler.Default));
    }
}
