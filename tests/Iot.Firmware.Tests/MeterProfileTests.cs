using Iot.Contract;
using Iot.Firmware.Tests.Fakes;
using Iot.Gateway.Modbus;
using Iot.Gateway.Telemetry;

namespace Iot.Firmware.Tests;

public class MeterProfileTests
{
    [Theory]
    [InlineData(0x42A0, 0x0000, WordOrder.HighFirst, 80.0)]      // 80.0f = 0x42A00000
    [InlineData(0x0000, 0x42A0, WordOrder.LowFirst, 80.0)]
    [InlineData(0x3FC0, 0x0000, WordOrder.HighFirst, 1.5)]
    [InlineData(0xC0A0, 0x0000, WordOrder.HighFirst, -5.0)]
    [InlineData(0x3DCC, 0xCCCD, WordOrder.HighFirst, 0.1f)]
    public void Decodes_float32_in_either_word_order(int w0, int w1, WordOrder order, double expected)
    {
        var regs = new[] { (ushort)w0, (ushort)w1 };
        Assert.True(RegisterDecoder.TryDecode(regs, 0, RegisterDataType.Float32, order, out var value));
        Assert.Equal(expected, value, 6);
    }

    [Fact]
    public void Float32_decoding_matches_the_runtime_for_random_bit_patterns()
    {
        Prop.ForAll<uint>(bits =>
        {
            float reference = BitConverter.UInt32BitsToSingle(bits);
            bool ok = RegisterDecoder.TryFloatFromBits(bits, out var value);
            return float.IsFinite(reference) ? ok && value == reference : !ok;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Decodes_signed_and_32_bit_integers()
    {
        var regs = new ushort[] { 0xFF38, 0x0001, 0x86A0 };
        RegisterDecoder.TryDecode(regs, 0, RegisterDataType.S16, WordOrder.HighFirst, out var s16);
        RegisterDecoder.TryDecode(regs, 1, RegisterDataType.U32, WordOrder.HighFirst, out var u32);
        RegisterDecoder.TryDecode(new ushort[] { 0x86A0, 0x0001 }, 0, RegisterDataType.U32, WordOrder.LowFirst, out var u32Swapped);
        RegisterDecoder.TryDecode(new ushort[] { 0xFFFF, 0xFFFE }, 0, RegisterDataType.S32, WordOrder.HighFirst, out var s32);
        Assert.Equal(-200, s16);
        Assert.Equal(100000, u32);
        Assert.Equal(100000, u32Swapped);
        Assert.Equal(-2, s32);
    }

    [Fact]
    public void Dust_detector_matches_the_vendors_example_frames()
    {
        // Boling's published examples: read PM10 = 01 03 00 02 00 02 65 CB, answer 01 03 04 00 00 00 42 7A 02 (66 ug/m3);
        // PM2.5 answer 01 03 04 00 00 00 35 3A 24 (53 ug/m3). Our request for the whole block starts at TSP.
        Assert.Equal(new byte[] { 0x01, 0x03, 0x00, 0x02, 0x00, 0x02, 0x65, 0xCB }, ModbusSlaveFrames.WithCrc(0x01, 0x03, 0x00, 0x02, 0x00, 0x02));
        Assert.Equal(new byte[] { 0x01, 0x03, 0x04, 0x00, 0x00, 0x00, 0x42, 0x7A, 0x02 }, ModbusSlaveFrames.ReadResponse(1, 0x03, 0x0000, 0x0042));
        Assert.Equal(new byte[] { 0x01, 0x03, 0x04, 0x00, 0x00, 0x00, 0x35, 0x3A, 0x24 }, ModbusSlaveFrames.ReadResponse(1, 0x03, 0x0000, 0x0035));

        var clock = new FakeClock();
        var link = new ScriptedSerialLink(clock);
        var regs = new ushort[0x1C];
        regs[0x01] = 79;     // TSP
        regs[0x03] = 0x42;   // PM10 66
        regs[0x05] = 0x35;   // PM2.5 53
        regs[0x18] = 0xFFFF; // temperature -3 (s32, high word first)
        regs[0x19] = 0xFFFD;
        regs[0x1B] = 65;     // humidity 65 %
        link.Reply(ModbusSlaveFrames.ReadResponse(1, 0x03, regs));
        var poller = new MeterPoller(new ModbusRtuMaster(link, clock, 200, 0), MeterProfiles.DustMonitor(), 1);

        Assert.True(poller.Poll());
        Assert.Equal(new byte[] { 0x01, 0x03, 0x00, 0x00, 0x00, 0x1C }, link.Requests.Single().Take(6));
        var byChannel = poller.Profile.Points.Select((p, i) => (p.Channel, poller.Values[i])).ToDictionary(x => x.Channel, x => x.Item2);
        Assert.Equal(79, byChannel[Channel.Tsp]);
        Assert.Equal(66, byChannel[Channel.Pm10]);
        Assert.Equal(53, byChannel[Channel.Pm25]);
        Assert.Equal(-3, byChannel[Channel.Temp]);
        Assert.Equal(65, byChannel[Channel.Rh]);
    }

    [Fact]
    public void Wind_speed_sensor_matches_the_vendors_example_frames()
    {
        // QS-FS published example: request 02 03 00 00 00 01 84 39, answer 02 03 02 01 45 3C 27 = 0x0145 / 10 = 32.5 m/s.
        var clock = new FakeClock();
        var link = new ScriptedSerialLink(clock);
        link.Reply([0x02, 0x03, 0x02, 0x01, 0x45, 0x3C, 0x27]);
        var profile = MeterProfiles.WindSpeedSensor();
        var poller = new MeterPoller(new ModbusRtuMaster(link, clock, 200, 0), profile, profile.DefaultSlave);

        Assert.True(poller.Poll());
        Assert.Equal(new byte[] { 0x02, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x39 }, link.Requests.Single());
        Assert.Equal(32.5, poller.Values[0], 9);
    }

    [Fact]
    public void Fume_monitor_uses_input_registers_and_float_cdab()
    {
        var clock = new FakeClock();
        var link = new ScriptedSerialLink(clock);
        link.Reply(ModbusSlaveFrames.ReadResponse(1, 0x04, 0x0000, 0x3FC0)); // 1.5 mg/m3, low word first
        var poller = new MeterPoller(new ModbusRtuMaster(link, clock, 200, 0), MeterProfiles.FumeMonitor(), 1);

        Assert.True(poller.Poll());
        Assert.Equal(1.5, poller.Values[0]);
        Assert.Equal(0x04, link.Requests.Single()[1]);
    }

    [Fact]
    public void A_silent_meter_leaves_every_point_invalid()
    {
        var clock = new FakeClock();
        var link = new ScriptedSerialLink(clock);
        var poller = new MeterPoller(new ModbusRtuMaster(link, clock, 100, 1), MeterProfiles.NoiseTransmitter(), 1);

        Assert.False(poller.Poll());
        Assert.False(poller.Valid[0]);
        Assert.Equal(ModbusStatus.Timeout, poller.LastStatus);
    }

    [Fact]
    public void Every_profile_maps_to_wire_channels_and_fits_one_request_per_kind()
    {
        foreach (var profile in new[] { MeterProfiles.NoiseTransmitter(), MeterProfiles.DustMonitor(), MeterProfiles.WindSpeedSensor(), MeterProfiles.WindDirectionSensor(), MeterProfiles.FumeMonitor() })
        {
            Assert.All(profile.Points, p => Assert.InRange(p.Channel, 0, Channel.Count - 1));
            Assert.Equal(profile.Points.Length, profile.Points.Select(p => p.Channel).Distinct().Count());
        }
    }
}
