using Iot.Contract;
using Iot.Gateway.Telemetry;

namespace Iot.Firmware.Tests;

public class MinuteAggregatorTests
{
    private const long Start = 1_795_000_020; // a whole minute: 1795000020 % 60 == 0

    private static MinuteRecord CloseAfter(MinuteAggregator aggregator)
    {
        var record = new MinuteRecord();
        aggregator.Close(record, Start + 60);
        return record;
    }

    [Fact]
    public void Laeq_is_the_energy_mean_of_one_second_levels()
    {
        // 30 s at 60 dB and 30 s at 70 dB: 10 log10((10^6 + 10^7) / 2) = 67.40 dB, not 65.
        var aggregator = new MinuteAggregator(Channel.Bit(Channel.Laeq));
        aggregator.Begin(Start);
        for (int s = 0; s < 60; s++) aggregator.AddNoiseSecond(s < 30 ? 60 : 70, s < 30 ? 62 : 74.5);

        var record = CloseAfter(aggregator);

        Assert.Equal(67.40, record.Get(Channel.Laeq), 2);
        Assert.Equal(74.5, record.Get(Channel.Lafmax));
        Assert.Equal(0, record.Q);
    }

    [Fact]
    public void Constant_level_gives_that_level_and_percentiles_follow_the_distribution()
    {
        var aggregator = new MinuteAggregator(0);
        aggregator.Begin(Start);
        // 48 s at 50 dB, 12 s at 80 dB: L10 = 80 (the level reached 10 % of the time), L90 = 50.
        for (int s = 0; s < 60; s++) aggregator.AddNoiseSecond(s % 5 == 0 ? 80 : 50, double.NaN);

        var record = CloseAfter(aggregator);

        Assert.Equal(80, record.Get(Channel.L10));
        Assert.Equal(50, record.Get(Channel.L90));
        // 10 log10(0.8 * 10^5 + 0.2 * 10^8) = 73.03 dB
        Assert.Equal(73.03, record.Get(Channel.Laeq), 2);
        Assert.False(record.Has(Channel.Lafmax));
    }

    [Fact]
    public void Window_start_is_aligned_to_the_minute_and_duration_is_60()
    {
        var aggregator = new MinuteAggregator(0);
        aggregator.Begin(Start + 37);
        Assert.Equal(Start, aggregator.WindowStart);
        Assert.False(aggregator.IsDue(Start + 59));
        Assert.True(aggregator.IsDue(Start + 60));

        var record = new MinuteRecord();
        aggregator.Close(record, Start + 61);
        Assert.Equal(Start, record.T);
        Assert.Equal(60, record.Dur);
        Assert.Equal(Start + 60, aggregator.WindowStart);
    }

    [Fact]
    public void Channels_without_samples_are_left_out_and_expected_ones_flag_a_sensor_fault()
    {
        var aggregator = new MinuteAggregator(Channel.Bit(Channel.Pm10) | Channel.Bit(Channel.Pm25));
        aggregator.Begin(Start);
        aggregator.AddValue(Channel.Pm10, 100);
        aggregator.AddValue(Channel.Pm10, 200);

        var record = CloseAfter(aggregator);

        Assert.Equal(150, record.Get(Channel.Pm10));
        Assert.False(record.Has(Channel.Pm25));
        Assert.False(record.Has(Channel.Tsp));
        Assert.Equal(QualityBits.SensorFault, record.Q);
        Assert.Equal(Channel.Bit(Channel.Pm10), record.PresentMask);
    }

    [Fact]
    public void Fan_and_purifier_report_share_of_seconds_on_and_mean_current()
    {
        var aggregator = new MinuteAggregator(0);
        aggregator.Begin(Start);
        for (int s = 0; s < 60; s++)
        {
            aggregator.AddRunSecond(Channel.Fan, running: true, amps: 2.0);
            aggregator.AddRunSecond(Channel.Pur, running: s < 15, amps: s < 15 ? 1.2 : 0.0);
            aggregator.AddValue(Channel.Fume, s < 30 ? 1.0 : 3.0);
        }

        var record = CloseAfter(aggregator);

        Assert.Equal(1.0, record.Get(Channel.Fan));
        Assert.Equal(0.25, record.Get(Channel.Pur));
        Assert.Equal(2.0, record.Get(Channel.FanA));
        Assert.Equal(0.3, record.Get(Channel.PurA), 9);
        Assert.Equal(2.0, record.Get(Channel.Fume));
    }

    [Fact]
    public void Wind_direction_is_a_vector_mean()
    {
        var aggregator = new MinuteAggregator(0);
        aggregator.Begin(Start);
        aggregator.AddValue(Channel.Wdir, 350);
        aggregator.AddValue(Channel.Wdir, 10);

        var record = CloseAfter(aggregator);

        var d = record.Get(Channel.Wdir);
        Assert.True(d < 1e-6 || d > 360 - 1e-6, $"mean of 350 and 10 should be north, was {d}");
    }

    [Fact]
    public void Quality_flags_raised_during_the_window_stay_with_it_and_reset_after()
    {
        var aggregator = new MinuteAggregator(0);
        aggregator.Begin(Start);
        aggregator.Flag(QualityBits.ClockUnsynced);
        aggregator.Flag(QualityBits.Tamper);
        var first = new MinuteRecord();
        aggregator.Close(first, Start + 60);
        var second = new MinuteRecord();
        aggregator.Close(second, Start + 120);

        Assert.Equal(QualityBits.ClockUnsynced | QualityBits.Tamper, first.Q);
        Assert.Equal(0, second.Q);
    }

    [Fact]
    public void Steady_state_sampling_allocates_nothing()
    {
        var aggregator = new MinuteAggregator(Channel.Bit(Channel.Laeq));
        var record = new MinuteRecord();
        aggregator.Begin(Start);
        Sample(aggregator, record, 0); // warm up (JIT, statics)

        long before = GC.GetAllocatedBytesForCurrentThread();
        Sample(aggregator, record, 1);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);

        static void Sample(MinuteAggregator aggregator, MinuteRecord record, int minute)
        {
            for (int s = 0; s < 60; s++)
            {
                aggregator.AddNoiseSecond(55 + s % 7, 60 + s % 5);
                aggregator.AddValue(Channel.Pm10, 80 + s);
                aggregator.AddValue(Channel.Wdir, s * 6);
                aggregator.AddRunSecond(Channel.Fan, s % 2 == 0, 1.5);
            }
            aggregator.Close(record, Start + 60 * (minute + 1));
        }
    }
}
