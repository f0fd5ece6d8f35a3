using Iot.Fleet.Storage;
using Npgsql;

namespace Iot.Fleet.Cluster;

/// <summary>
/// Listens on PostgreSQL for what other fleet instances changed (<see cref="FleetDatabase.Announce"/>: sites and devices
/// registered or edited on another instance) and reloads this instance's view of it, so a device registered through one
/// instance is known to the other before its first message arrives there. After a lost connection it reloads everything,
/// since announcements made meanwhile were missed. Nothing to do on SQLite.
/// </summary>
public sealed class ChangeListener(FleetDatabase database, ILogger<ChangeListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        if (database.PostgresConnectionString is null) return;
        await Task.Yield();
        var first = true;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var session = await database.OpenSessionAsync("iot-fleet changes", stop);
                session.Notification += (_, e) => database.Delivered(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {FleetDatabase.ChangeChannel}", session))
                    await listen.ExecuteNonQueryAsync(stop);
                if (!first) database.Delivered(null);
                first = false;
                while (true) await session.WaitAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
            {
                logger.LogWarning("Not listening for other fleet instances' changes ({Reason}); trying again", e.Message);
                first = false;
                try { await Task.Delay(FleetLeadership.Interval, stop); } catch (OperationCanceledException) { return; }
            }
        }
    }
}
