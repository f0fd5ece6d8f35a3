using System.Text.Json;
using Iot.Contract;
using Iot.Firmware.Tests.Fakes;
using Iot.Gateway.Runtime;
using Iot.Gateway.Sensors;
using Iot.Gateway.Telemetry;

namespace Iot.Firmware.Tests;

/// <summary>
/// The runtime's loop over the sensor components the platform composes: each is set up, read every second and
/// closed, and one that fails or throws never keeps the others from being read.
/// </summary>
public class SensorComponentTests
{
    private const long T0 = 1_795_000_020; // a minute boundary
    private const string Dev = "NS-0001";

    private readonly FakeClock _clock = new() { UtcSeconds = T0 };
    private readonly FakeMqttLink _mqtt = new();
    private readonly LittleFsModel _journalFiles = new();

    private GatewayRuntime Boot(ISensorComposition? sensors, int warmUpSeconds = 0) =>
        new(new GatewayHardware
        {
            Clock = _clock, Mqtt = _mqtt, Inbox = _mqtt, Sensors = sensors,
            JournalFiles = _journalFiles, ConfigFlash = new FakeFlash(8 * 1024), BootFlash = new FakeFlash(8 * 1024),
        }, new GatewayRuntimeOptions { DeviceId = Dev, WarmUpSeconds = warmUpSeconds, ReconnectBaseMs = 1000, ReconnectCapMs = 4000 });

    private void Run(GatewayRuntime gateway, int seconds)
    {
        for (int i = 0; i < seconds; i++)
        {
            gateway.Tick();
            _mqtt.AcknowledgeAll();
            _clock.UtcSeconds++;
            _clock.MonotonicMs += 1000;
        }
    }

    private List<JsonElement> Events(string type) =>
        _mqtt.Published.Where(p => p.Topic == $"iot/v1/{Dev}/event")
            .Select(p => JsonDocument.Parse(p.Payload).RootElement.Clone())
            .Where(e => e.GetProperty("type").GetString() == type)
            .Select(e => e.GetProperty("data"))
            .ToList();

    private List<JsonElement> Records() =>
        _mqtt.Published.Where(p => p.Topic == $"iot/v1/{Dev}/telemetry")
            .SelectMany(p => JsonDocument.Parse(p.Payload).RootElement.Clone().GetProperty("recs").EnumerateArray())
            .ToList();

    [Fact]
    public void A_component_whose_read_throws_fails_its_second_and_the_tick_but_the_others_are_still_read()
    {
        var meter = new ScriptedSensor("meter");
        var broken = new ScriptedSensor("clamp") { ReadThrows = true };
        var gateway = Boot(new ScriptedComposition(() => [broken, meter]));
        Run(gateway, 61);

        Assert.Equal(61, meter.Reads);
        var record = Assert.Single(Records());
        Assert.Equal(60, record.GetProperty("m").GetProperty(Channel.Name(Channel.Laeq)).GetDouble());
        Assert.Equal(QualityBits.SensorFault, record.GetProperty("q").GetInt32() & QualityBits.SensorFault);
        var fault = Assert.Single(Events("fault"));
        Assert.False(fault.GetProperty("ok").GetBoolean());
        Assert.Equal("clamp driver wedged", fault.GetProperty("error").GetString());
        var sensorFault = Assert.Single(Events("sensor_fault"));
        Assert.Equal("clamp", sensorFault.GetProperty("sensor").GetString());
        Assert.Equal("read_failed", sensorFault.GetProperty("reason").GetString());

        broken.ReadThrows = false;
        Run(gateway, 2); // the recovery is queued at the end of the tick that works and sent by the next
        Assert.Equal(0, gateway.FailingTicks);
        Assert.Equal(61, gateway.FailedTicks);
        Assert.True(Events("fault")[^1].GetProperty("ok").GetBoolean());
        Assert.True(Events("sensor_fault")[^1].GetProperty("ok").GetBoolean());
    }

    [Fact]
    public void A_component_whose_setup_throws_is_set_up_again_the_next_second_and_read_only_once_it_works()
    {
        var meter = new ScriptedSensor("meter");
        var late = new ScriptedSensor("late") { SetupFailures = 2 };
        var gateway = Boot(new ScriptedComposition(() => [late, meter]));
        Run(gateway, 5);

        Assert.Equal(5, meter.Reads);
        Assert.Equal(3, late.Setups);
        Assert.Equal(3, late.Reads);
        Assert.Equal(2, gateway.FailedTicks);
        Assert.Equal([false, true], Events("fault").Select(e => e.GetProperty("ok").GetBoolean()));
        Assert.Equal("late would not start", Events("fault")[0].GetProperty("error").GetString());
    }

    [Fact]
    public void Each_sensor_reports_its_own_sensor_fault_and_a_reported_failure_is_not_a_loop_fault()
    {
        var silent = new ScriptedSensor("wind") { Failure = "timeout" };
        var meter = new ScriptedSensor("meter");
        var gateway = Boot(new ScriptedComposition(() => [meter, silent]));
        Run(gateway, 10);
        silent.Failure = null;
        Run(gateway, 1);

        var events = Events("sensor_fault");
        Assert.Equal(["wind", "wind"], events.Select(e => e.GetProperty("sensor").GetString()));
        Assert.Equal([false, true], events.Select(e => e.GetProperty("ok").GetBoolean()));
        Assert.Equal("timeout", events[0].GetProperty("reason").GetString());
        Assert.Empty(Events("fault"));
        Assert.Equal(0, gateway.FailedTicks);
    }

    [Fact]
    public void A_new_configuration_closes_the_components_and_sets_up_new_ones_and_a_sensor_that_stays_keeps_its_fault()
    {
        var composition = new ScriptedComposition(() => [new ScriptedSensor("meter") { Failure = "timeout" }]);
        var gateway = Boot(composition);
        Run(gateway, 5); // the fault is reported after 3 s
        _mqtt.Deliver($"iot/v1/{Dev}/config", """{"v":1,"site":"noise","maint":true}""");
        Run(gateway, 5);

        Assert.Equal(2, composition.Made.Count);
        var (first, second) = (composition.Made[0][0], composition.Made[1][0]);
        Assert.Equal(1, first.Closes);
        Assert.Equal(1, second.Setups);
        Assert.Equal(0, second.Closes);
        Assert.Single(Events("sensor_fault")); // not reported again for the new configuration

        second.Failure = null;
        Run(gateway, 1);
        Assert.Equal([false, true], Events("sensor_fault").Select(e => e.GetProperty("ok").GetBoolean()));
    }

    [Fact]
    public void Shutdown_closes_the_components_that_were_set_up()
    {
        var running = new ScriptedSensor("meter");
        var neverStarted = new ScriptedSensor("late") { SetupFailures = 100 };
        var gateway = Boot(new ScriptedComposition(() => [running, neverStarted]));
        Run(gateway, 2);
        gateway.Shutdown();

        Assert.Equal(1, running.Closes);
        Assert.Equal(0, neverStarted.Closes);
    }

    [Fact]
    public void Records_carry_the_warm_up_bit_until_the_slowest_sensor_is_warm()
    {
        var gateway = Boot(new ScriptedComposition(() => [new ScriptedSensor("fast"), new ScriptedSensor("slow", warmUpSeconds: 90)]), warmUpSeconds: -1);
        Run(gateway, 181);

        Assert.Equal([QualityBits.WarmUp, QualityBits.WarmUp, 0], Records().Select(r => r.GetProperty("q").GetInt32()));
    }

    [Fact]
    public void Without_sensors_every_second_is_a_sensor_fault_of_no_sensor()
    {
        var gateway = Boot(sensors: null);
        Run(gateway, 61);

        var fault = Assert.Single(Events("sensor_fault"));
        Assert.Equal("none", fault.GetProperty("sensor").GetString());
        Assert.Equal("no sensor", fault.GetProperty("reason").GetString());
        Assert.Equal(QualityBits.SensorFault, Assert.Single(Records()).GetProperty("q").GetInt32());
    }
}
