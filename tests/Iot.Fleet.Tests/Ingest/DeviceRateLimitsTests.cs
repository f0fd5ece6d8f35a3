using Iot.Fleet.Ingest;
using Xunit;

namespace Iot.Fleet.Tests.Ingest;

/// <summary>One device's flood is refused after its burst, others are untouched, and the bucket refills with time.</summary>
public sealed class DeviceRateLimitsTests
{
    private sealed class ManualClock : TimeProvider
    {
        public long Ticks;
        public override long GetTimestamp() => Ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    }

    [Fact]
    public void A_flooding_device_is_refused_after_its_burst_and_only_the_first_refusal_is_sampled()
    {
        var clock = new ManualClock();
        var limits = new DeviceRateLimits(clock, telemetryPerSecond: 10);
        var taken = 0;
        for (var i = 0; i < 1000; i++)
            if (limits.TryTake("GW-FLOOD", "telemetry", out _)) taken++;
        Assert.Equal(300, taken); // a burst of 30 s worth
        Assert.False(limits.TryTake("GW-FLOOD", "telemetry", out var first));
        Assert.False(first); // the run of refusals started earlier
        Assert.True(limits.TryTake("GW-OTHER", "telemetry", out _));

        clock.Ticks += TimeSpan.TicksPerSecond; // ten more messages' worth
        var after = Enumerable.Range(0, 20).Count(i => limits.TryTake("GW-FLOOD", "telemetry", out _));
        Assert.Equal(10, after);
    }

    [Fact]
    public void Events_have_their_own_smaller_bucket_and_zero_turns_the_telemetry_limit_off()
    {
        var limits = new DeviceRateLimits(new ManualClock(), telemetryPerSecond: 0);
        Assert.All(Enumerable.Range(0, 10_000), i => Assert.True(limits.TryTake("GW-1", "telemetry", out _)));
        Assert.Equal(120, Enumerable.Range(0, 500).Count(i => limits.TryTake("GW-1", "event", out _)));
        Assert.False(limits.TryTake("GW-1", "event", out _));
    }
}
