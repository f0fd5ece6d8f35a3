using Iot.Fleet.Health;
using Iot.Fleet.Storage;
using Npgsql;

namespace Iot.Fleet.Cluster;

/// <summary>
/// Which fleet instance leads. Every instance ingests (the broker splits the devices' messages between them through a
/// shared subscription) and answers the API; one leads: it judges the journal, and runs the watches, campaigns,
/// notifications, forwarding and housekeeping (<see cref="LeaderOnlyService{T}"/>). On PostgreSQL the leader is the
/// instance that holds a session-level advisory lock on a connection of its own; when its process or machine dies,
/// PostgreSQL ends the session (at once for a closed socket, within seconds by TCP keepalive for a lost machine) and a
/// standby that asks every second takes over. On SQLite there is one instance, and it always leads.
/// </summary>
public sealed class FleetLeadership : BackgroundService
{
    /// <summary>The advisory lock key of the leader ("iotleadr" in ASCII); the writers' lock is another key.</summary>
    public const long LeaderLock = 0x696f746c65616472;

    /// <summary>How often a standby asks for the lock and the leader checks its session is alive.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly FleetDatabase _database;
    private readonly FleetHealth _health;
    private readonly ILogger<FleetLeadership> _logger;
    private readonly Lock _gate = new();
    private TaskCompletionSource<CancellationToken> _term = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _termEnd;

    public FleetLeadership(FleetDatabase database, FleetHealth health, ILogger<FleetLeadership> logger)
    {
        _database = database;
        _health = health;
        _logger = logger;
        // SQLite: one instance, leading from the start (no lock to wait for, so the stages start with the host).
        if (database.Dialect == SqlDialect.Sqlite) Begin();
    }

    /// <summary>True while this instance leads.</summary>
    public bool IsLeader
    {
        get
        {
            lock (_gate) return _termEnd is { IsCancellationRequested: false };
        }
    }

    /// <summary>How many terms this instance has begun (a test and /healthz read it).</summary>
    public int Terms { get; private set; }

    /// <summary>Completes when this instance leads, with a token cancelled when its term ends.</summary>
    public Task<CancellationToken> WhenLeadingAsync(CancellationToken stop)
    {
        Task<CancellationToken> term;
        lock (_gate) term = _term.Task;
        return term.WaitAsync(stop);
    }

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        if (_database.Dialect == SqlDialect.Sqlite) return;
        await Task.Yield();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var session = await _database.OpenSessionAsync("iot-fleet leadership", stop);
                while (!await TryLockAsync(session, stop)) await Task.Delay(Interval, stop);
                Begin();
                _logger.LogWarning("This fleet instance leads now (term {Term}): it judges, watches and sends", Terms);
                // The session holds the lock; a failed check means PostgreSQL may have ended it, so the term ends too.
                while (true)
                {
                    await Task.Delay(Interval, stop);
                    await using var check = new NpgsqlCommand("SELECT 1", session) { CommandTimeout = 3 };
                    await check.ExecuteScalarAsync(stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
            {
                if (End()) _logger.LogError("This fleet instance stopped leading: its lock session failed ({Reason})", e.Message);
                else _logger.LogWarning("Cannot ask for the leader lock ({Reason}); trying again", e.Message);
                _health.Failed("leadership", e);
                try { await Task.Delay(Interval, stop); } catch (OperationCanceledException) { break; }
            }
        }
        End();
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection session, CancellationToken stop)
    {
        await using var take = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", session) { CommandTimeout = 5 };
        take.Parameters.AddWithValue("key", LeaderLock);
        return await take.ExecuteScalarAsync(stop) is true;
    }

    private void Begin()
    {
        lock (_gate)
        {
            _termEnd = new CancellationTokenSource();
            Terms++;
            _term.TrySetResult(_termEnd.Token);
        }
    }

    /// <summary>Ends the term, if one runs; true when it did.</summary>
    private bool End()
    {
        CancellationTokenSource? ended;
        lock (_gate)
        {
            ended = _termEnd;
            _termEnd = null;
            if (ended is null) return false;
            _term = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        ended.Cancel();
        ended.Dispose();
        return true;
    }

    public override void Dispose()
    {
        End();
        base.Dispose();
    }
}

/// <summary>Runs a background service only while this instance leads: started at the beginning of each term and
/// stopped at its end, so a standby runs none of it and two leaders never overlap for long.</summary>
public sealed class LeaderOnlyService<T>(T inner, FleetLeadership leadership, ILogger<LeaderOnlyService<T>> logger) : BackgroundService
    where T : IHostedService
{
    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            CancellationToken term;
            try
            {
                term = await leadership.WhenLeadingAsync(stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            await inner.StartAsync(stop);
            try
            {
                using var either = CancellationTokenSource.CreateLinkedTokenSource(term, stop);
                await Task.Delay(Timeout.Infinite, either.Token);
            }
            catch (OperationCanceledException)
            {
                // The term or the host ended.
            }
            if (!stop.IsCancellationRequested) logger.LogWarning("{Service} stops: this instance no longer leads", typeof(T).Name);
            await inner.StopAsync(CancellationToken.None);
        }
    }
}

/// <summary>Registering leader-only services.</summary>
public static class LeadershipSetup
{
    /// <summary>Registers <typeparamref name="T"/> as a singleton (if it is not yet) that runs only while this instance leads.</summary>
    public static IServiceCollection AddLeaderOnly<T>(this IServiceCollection services) where T : class, IHostedService
    {
        if (!services.Any(d => d.ServiceType == typeof(T))) services.AddSingleton<T>();
        services.AddHostedService(sp => new LeaderOnlyService<T>(sp.GetRequiredService<T>(), sp.GetRequiredService<FleetLeadership>(),
            sp.GetRequiredService<ILogger<LeaderOnlyService<T>>>()));
        return services;
    }
}
