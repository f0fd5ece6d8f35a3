using System.Text.Json;
using Iot.Firmware.Tests.Fakes;
using Iot.Gateway.Configuration;
using Iot.Gateway.Hardware;
using Iot.Gateway.Runtime;
using Iot.Gateway.Sensors;

namespace Iot.Firmware.Tests;

/// <summary>A dust site polls the wind sensors that share the dust monitor's bus; they are optional channels.</summary>
public class DustSiteWindTests
{
    private const long T0 = 1_795_000_020; // a minute boundary
    private const string Dev = "DS-0001";

    private readonly FakeClock _clock = new() { UtcSeconds = T0 };
    private readonly FakeMqttLink _mqtt = new();
    private readonly FakeModbusMeter _dust = new(slave: 1);
    private readonly FakeModbusMeter _windSpeed = new(slave: 2);
    private readonly FakeModbusMeter _windDirection = new(slave: 3);

    public DustSiteWindTests()
    {
        _dust.Holding[3] = 66; // PM10, u32 high word first at 0x0002
        _dust.Holding[5] = 53; // PM2.5 at 0x0004
        _windSpeed.Holding[0] = 45; // 4.5 m/s in 0.1 m/s
        _windDirection.Holding[0] = 90;
    }

    private GatewayRuntime Boot(ModbusBus bus) =>
        new(new GatewayHardware
        {
            Clock = _clock, Mqtt = _mqtt, Inbox = _mqtt, Sensors = new BoardSensors(_clock, bus, null),
            JournalFiles = new LittleFsModel(), ConfigFlash = new FakeFlash(8 * 1024), BootFlash = new FakeFlash(8 * 1024),
        }, new GatewayRuntimeOptions { DeviceId = Dev, DefaultSite = SiteKind.Dust, WarmUpSeconds = 0 });

    private List<JsonElement> Run(GatewayRuntime gateway, int seconds)
    {
        for (int i = 0; i < seconds; i++)
        {
            gateway.Tick();
            _mqtt.AcknowledgeAll();
            _clock.UtcSeconds++;
            _clock.MonotonicMs += 1000;
        }
        return _mqtt.Published.Where(p => p.Topic == $"iot/v1/{Dev}/telemetry")
            .SelectMany(p => JsonDocument.Parse(p.Payload).RootElement.GetProperty("recs").EnumerateArray())
            .Select(r => r.Clone())
            .ToList();
    }

    [Fact]
    public void Wind_speed_and_direction_on_the_dust_bus_are_in_every_record()
    {
        var recs = Run(Boot(new ModbusBus(_dust, _windSpeed, _windDirection)), 121);

        Assert.Equal(2, recs.Count);
        Assert.All(recs, r =>
        {
            Assert.Equal(0, r.GetProperty("q").GetInt32());
            var m = r.GetProperty("m");
            Assert.Equal(66.0, m.GetProperty("pm10").GetDouble());
            Assert.Equal(4.5, m.GetProperty("wind").GetDouble());
            Assert.Equal(90.0, m.GetProperty("wdir").GetDouble());
        });
    }

    [Fact]
    public void A_site_without_wind_sensors_sends_dust_without_a_fault_and_asks_for_them_once_a_minute()
    {
        var bus = new ModbusBus(_dust);
        var recs = Run(Boot(bus), 121);

        Assert.Equal(2, recs.Count);
        Assert.All(recs, r =>
        {
            Assert.Equal(0, r.GetProperty("q").GetInt32()); // optional channels: left out, not a sensor fault
            Assert.True(r.GetProperty("m").TryGetProperty("pm10", out _));
            Assert.False(r.GetProperty("m").TryGetProperty("wind", out _));
            Assert.False(r.GetProperty("m").TryGetProperty("wdir", out _));
        });
        Assert.InRange(bus.RequestsTo(2), 2, 3); // at 0 s, 60 s and (perhaps) 120 s, with no retries
        Assert.Equal(120 + 1, bus.RequestsTo(1)); // the dust monitor is still read every second
    }

    [Fact]
    public void A_wind_sensor_that_comes_back_is_read_again_within_a_minute()
    {
        var bus = new ModbusBus(_dust, _windSpeed);
        _windSpeed.Silent = true;
        var gateway = Boot(bus);
        Run(gateway, 60);
        _windSpeed.Silent = false;
        var recs = Run(gateway, 61);

        Assert.False(recs[0].GetProperty("m").TryGetProperty("wind", out _));
        Assert.Equal(4.5, recs[1].GetProperty("m").GetProperty("wind").GetDouble());
    }

    /// <summary>Several Modbus slaves on one RS-485 line: every request reaches all, the addressed one answers.</summary>
    private sealed class ModbusBus(params FakeModbusMeter[] meters) : ISerialLink
    {
        private readonly Dictionary<byte, int> _requests = [];
        public int BaudRate => 9600;
        public int RequestsTo(byte slave) => _requests.GetValueOrDefault(slave);

        public void DiscardInput()
        {
            foreach (var m in meters) m.DiscardInput();
        }

        public void Write(byte[] buffer, int offset, int count)
        {
            _requests[buffer[offset]] = RequestsTo(buffer[offset]) + 1;
            foreach (var m in meters) m.Write(buffer, offset, count);
        }

        public int Read(byte[] buffer, int offset, int count, int timeoutMs)
        {
            foreach (var m in meters)
            {
                int n = m.Read(buffer, offset, count, timeoutMs);
                if (n > 0) return n;
            }
            return 0;
        }
    }
}
