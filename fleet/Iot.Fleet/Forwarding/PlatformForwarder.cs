using Iot.Fleet.Health;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Forwarding;

/// <summary>
/// The HJ 212 forwarder stage (`hj212`): follows the journal into the outbound queue, makes the frames of finished minutes,
/// and keeps one <see cref="PlatformLink"/> per reporting site. Everything it owes a platform is in the database, so a
/// restart (of the stage or the fleet) resumes where it was: at least once, and the platform keeps one frame per minute.
/// </summary>
public sealed class PlatformForwarder(PlatformQueue queue, ReportingSites reporting, IOptions<ForwardingOptions> options, FleetHealth health, TimeProvider clock,
    ILogger<PlatformForwarder> logger)
    : SupervisedService(health, logger, clock)
{
    public const string ForwardingStage = "hj212";
    private volatile IReadOnlyList<PlatformLink> _links = [];

    protected override string Stage => ForwardingStage;

    /// <summary>Whether each site's connection is open now, by site.</summary>
    public IReadOnlyDictionary<string, bool> Connections => _links.ToDictionary(l => l.Site, l => l.Connected, StringComparer.Ordinal);

    protected override async Task RunAsync(CancellationToken stop)
    {
        var o = options.Value;
        var watching = false;
        while (!stop.IsCancellationRequested)
        {
            // A site set through the API changes the links: they are made again from the database.
            var changed = reporting.Changed;
            var sites = reporting.Current;
            if (sites.Count == 0)
            {
                await changed.WaitAsync(stop);
                continue;
            }
            // Stalled means the journal is not followed; a platform that does not acknowledge is the queue's depth, not a stall
            // of the fleet (it would turn /healthz to 503 for someone else's outage).
            if (!watching) Health.Watch(ForwardingStage, () => queue.Behind());
            watching = true;
            _links = sites.Values.Where(s => o.Platforms.ContainsKey(s.Platform))
                .Select(s => new PlatformLink(s.Site, new ReportingSite { Site = s.Site, Platform = s.Platform, Mn = s.Mn }, o.Platforms[s.Platform], queue, Clock, Logger))
                .ToList();
            using var running = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var tasks = _links.Select(l => l.RunAsync(running.Token)).Append(Follow(running.Token)).ToList();
            // A link or the queue that fails fails the stage, which restarts it (and all links) from the database.
            var ended = await Task.WhenAny(tasks.Append(changed));
            await running.CancelAsync();
            await Task.WhenAll(tasks).ContinueWith(_ => { }, TaskScheduler.Default);
            if (ended == changed) continue;
            await ended;
            return;
        }
    }

    private async Task Follow(CancellationToken stop)
    {
        await Task.Yield();
        long? trimmedAt = null;
        while (!stop.IsCancellationRequested)
        {
            var read = queue.Follow();
            queue.MakeFrames();
            // Acknowledged frames are kept AcknowledgedDays for history requests; an hourly trim keeps the table that size.
            if (trimmedAt is not { } at || Clock.GetElapsedTime(at) >= TimeSpan.FromHours(1))
            {
                queue.TrimAcknowledged();
                trimmedAt = Clock.GetTimestamp();
            }
            if (read == 0) await Task.Delay(TimeSpan.FromMilliseconds(500), Clock, stop);
        }
    }
}
