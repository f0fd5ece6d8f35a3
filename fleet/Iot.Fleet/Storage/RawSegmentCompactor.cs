using Iot.Fleet.Health;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Storage;

/// <summary>
/// Moves raw messages older than <see cref="RawMessageOptions.HotMinutes"/> from the database's hot table into compressed
/// segment files (<see cref="RawMessageStore.Compact"/>), every few minutes. At its start it deletes the segment files a
/// crash left unindexed. Until a message is moved it stays in the hot table, so a stalled compactor loses nothing; the
/// hot table only grows.
/// </summary>
public sealed class RawSegmentCompactor(RawMessageStore store, IOptions<RawMessageOptions> options, FleetHealth health, TimeProvider clock,
    ILogger<RawSegmentCompactor> logger) : SupervisedService(health, logger, clock)
{
    public const string CompactingStage = "raw-segments";

    protected override string Stage => CompactingStage;

    protected override async Task RunAsync(CancellationToken stop)
    {
        var orphans = store.RemoveOrphans();
        if (orphans > 0) Logger.LogWarning("raw segments: deleted {Orphans} files a crash left unindexed (their messages stayed in the hot table)", orphans);
        var hot = TimeSpan.FromMinutes(options.Value.HotMinutes);
        while (!stop.IsCancellationRequested)
        {
            var moved = store.Compact(Clock.GetUtcNow() - hot);
            if (moved.Messages > 0)
                Logger.LogDebug("raw segments: moved {Messages} messages into {Segments} segments ({Bytes} bytes)", moved.Messages, moved.Segments, moved.Bytes);
            await Task.Delay(hot / 2, Clock, stop);
        }
    }
}
