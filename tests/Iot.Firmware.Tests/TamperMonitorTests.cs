using Iot.Contract;
using Iot.Gateway.Hardware;
using Iot.Gateway.Telemetry;

namespace Iot.Firmware.Tests;

public class TamperMonitorTests
{
    private sealed class Switch : IDigitalInput
    {
        public bool IsOpen { get; set; }
    }

    [Fact]
    public void Open_lid_flags_the_window_and_each_change_is_reported_once()
    {
        var lid = new Switch();
        var monitor = new TamperMonitor(lid);
        var aggregator = new MinuteAggregator(0);
        aggregator.Begin(1_795_000_020);

        aggregator.Flag(monitor.Poll());
        Assert.False(monitor.Changed);

        lid.IsOpen = true;
        aggregator.Flag(monitor.Poll());
        Assert.True(monitor.Changed);
        aggregator.Flag(monitor.Poll());
        Assert.False(monitor.Changed);

        lid.IsOpen = false;
        aggregator.Flag(monitor.Poll());
        Assert.True(monitor.Changed);

        var record = new MinuteRecord();
        aggregator.Close(record, 1_795_000_080);
        Assert.Equal(QualityBits.Tamper, record.Q);
    }
}
