using Iot.Firmware.Tests.Fakes;
using Iot.Gateway.Power;

namespace Iot.Firmware.Tests;

public class CurrentTransformerChannelTests
{
    [Fact]
    public void Rms_removes_the_bias_and_scales_to_amps()
    {
        // Sine of amplitude 1000 counts: RMS = 1000 / sqrt(2) = 707.1 counts; 0.01 A per count -> 7.07 A.
        var adc = new FakeAdc { AmplitudeCounts = 1000, BiasCounts = 1900 };
        var ct = new CurrentTransformerChannel(adc, 0, 400, 0.01, 1.0, 0.5);

        ct.Measure();

        Assert.Equal(7.071, ct.Amps, 2);
        Assert.True(ct.IsRunning);
    }

    [Fact]
    public void Rms_of_a_constant_is_zero()
    {
        Assert.Equal(0, CurrentTransformerChannel.RmsCounts([2048, 2048, 2048, 2048], 4));
        Assert.Equal(1, CurrentTransformerChannel.RmsCounts([2047, 2049, 2047, 2049], 4));
    }

    [Fact]
    public void Hysteresis_switches_on_above_on_and_off_below_off_only()
    {
        var ct = new CurrentTransformerChannel(new FakeAdc(), 0, 8, 0.01, onAmps: 1.0, offAmps: 0.5);
        var states = new[] { 0.2, 0.9, 1.0, 0.7, 0.51, 0.5, 0.9, 1.2 }.Select(ct.Update).ToArray();
        Assert.Equal([false, false, true, true, true, false, false, true], states);
    }

    [Fact]
    public void On_threshold_must_be_above_off_threshold()
    {
        Assert.Throws<ArgumentException>(() => new CurrentTransformerChannel(new FakeAdc(), 0, 8, 0.01, 0.5, 0.5));
        Assert.Throws<ArgumentException>(() => new CurrentTransformerChannel(new FakeAdc(), 0, 8, 0.01, 0.4, 0.6));
    }
}
