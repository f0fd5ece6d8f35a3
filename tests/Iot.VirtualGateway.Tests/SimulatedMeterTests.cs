using Iot.Contract;
using Iot.Gateway.Modbus;
using Iot.Gateway.Telemetry;
using Iot.Gateway.Virtual.Hardware;

namespace Iot.VirtualGateway.Tests;

public class SimulatedMeterTests
{
    public static TheoryData<string> Profiles => ["noise", "dust", "fume"];

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Answers_the_firmwares_modbus_master_with_the_values_set(string kind)
    {
        var profile = kind switch { "dust" => MeterProfiles.DustMonitor(), "fume" => MeterProfiles.FumeMonitor(), _ => MeterProfiles.NoiseTransmitter() };
        var meter = new SimulatedModbusMeter(profile, 1);
        var clock = new SimulatedClock(1_795_000_000);
        var poller = new MeterPoller(new ModbusRtuMaster(meter, clock, 200, 2), profile, 1);
        var expected = profile.Points.Select((p, i) => p.Channel == Channel.Fume ? 2.25 : 40 + 10.0 * i).ToArray();
        for (int i = 0; i < profile.Points.Length; i++) meter.SetValue(profile.Points[i], expected[i]);

        Assert.True(poller.Poll());
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], poller.Values[i], 6);

        meter.Silent = true;
        Assert.False(poller.Poll());
        Assert.Equal(ModbusStatus.Timeout, poller.LastStatus);
    }
}
