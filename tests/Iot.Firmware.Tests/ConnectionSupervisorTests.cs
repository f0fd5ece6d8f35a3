using Iot.Contract;
using Iot.Firmware.Tests.Fakes;
using Iot.Gateway.Telemetry;
using Iot.Gateway.Uplink;

namespace Iot.Firmware.Tests;

public class ConnectionSupervisorTests
{
    private readonly FakeClock _clock = new();
    private readonly FakeMqttLink _mqtt = new() { IsConnected = false, BrokerReachable = false };

    [Fact]
    public void Retries_with_growing_delays_and_reports_the_reconnection()
    {
        var supervisor = new ConnectionSupervisor(_mqtt, _clock, new ReconnectBackoff(1000, 60_000, 7));
        var attemptTimes = new List<long>();
        for (int step = 0; step < 400 && attemptTimes.Count < 6; step++)
        {
            int before = _mqtt.ConnectAttempts;
            supervisor.Step();
            if (_mqtt.ConnectAttempts > before) attemptTimes.Add(_clock.MonotonicMs);
            _clock.MonotonicMs += 500;
        }
        var gaps = attemptTimes.Zip(attemptTimes.Skip(1), (a, b) => b - a).ToArray();
        Assert.All(gaps, g => Assert.InRange(g, 1000, 60_500));
        Assert.True(gaps[^1] > gaps[0], "the delay grows");

        _mqtt.BrokerReachable = true;
        while (!supervisor.JustConnected)
        {
            _clock.MonotonicMs += 500;
            supervisor.Step();
        }
        Assert.True(_mqtt.IsConnected);
        Assert.Equal(0, supervisor.FailedAttempts);
    }

    [Fact]
    public void Reports_clock_sync_changes_and_the_quality_bit()
    {
        _clock.IsSynchronized = false;
        var supervisor = new ConnectionSupervisor(_mqtt, _clock, new ReconnectBackoff(1000, 60_000, 7));
        supervisor.Step();
        Assert.False(supervisor.ClockChanged);
        Assert.Equal(QualityBits.ClockUnsynced, supervisor.ClockQualityBits);

        _clock.IsSynchronized = true;
        supervisor.Step();
        Assert.True(supervisor.ClockChanged);
        Assert.Equal(0, supervisor.ClockQualityBits);
        supervisor.Step();
        Assert.False(supervisor.ClockChanged);
    }
}
