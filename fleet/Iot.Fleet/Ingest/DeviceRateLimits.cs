using Iot.Contract;

namespace Iot.Fleet.Ingest;

/// <summary>
/// A token bucket per device and message kind, so one device cannot take the ingest from the others.
/// Generous on purpose: a gateway back from days offline sends its journal as fast as its link allows,
/// 200 records a message, and must not be refused; a refused telemetry message is lost to its device
/// (the broker already acknowledged it).
/// </summary>
public sealed class DeviceRateLimits(TimeProvider clock, double telemetryPerSecond)
{
    /// <summary>Messages a device may send in a burst, and per second after it, by kind; telemetry's rate is
    /// configurable (Mqtt:DeviceMessagesPerSecond, 0 = no limit, as the ingest benchmark needs).</summary>
    private (double Burst, double PerSecond) Limit(string kind) => kind switch
    {
        Topics.Telemetry or Topics.Backfill => (telemetryPerSecond * 30, telemetryPerSecond),
        Topics.Event => (120, 2),
        _ => (60, 1),
    };

    private const int MaxTracked = 200_000;
    private readonly Dictionary<(string Device, string Kind), Bucket> _buckets = [];

    /// <summary>True when the device may send one more message of the kind now; false when over its limit.
    /// <paramref name="firstRefusal"/> is true for the first refusal of a run, so only that one is sampled.</summary>
    public bool TryTake(string device, string kind, out bool firstRefusal)
    {
        var (burst, perSecond) = Limit(kind);
        firstRefusal = false;
        if (perSecond <= 0) return true;
        var now = clock.GetTimestamp();
        if (!_buckets.TryGetValue((device, kind), out var bucket))
        {
            // A flood of made-up ids forgets every bucket, which only forgives the devices for a moment.
            if (_buckets.Count >= MaxTracked) _buckets.Clear();
            bucket = new Bucket { Tokens = burst, At = now };
            _buckets[(device, kind)] = bucket;
        }
        bucket.Tokens = Math.Min(burst, bucket.Tokens + clock.GetElapsedTime(bucket.At, now).TotalSeconds * perSecond);
        bucket.At = now;
        if (bucket.Tokens >= 1)
        {
            bucket.Tokens -= 1;
            bucket.Refusing = false;
            return true;
        }
        firstRefusal = !bucket.Refusing;
        bucket.Refusing = true;
        return false;
    }

    private sealed class Bucket
    {
        public double Tokens;
        public long At;
        public bool Refusing;
    }
}
