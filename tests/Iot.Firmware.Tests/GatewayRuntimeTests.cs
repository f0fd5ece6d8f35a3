using System.Text.Json;
using Iot.Contract;
using Iot.Firmware.Tests.Fakes;
using Iot.Gateway.Configuration;
using Iot.Gateway.Runtime;
using Iot.Gateway.Sensors;
using Iot.Gateway.Telemetry;

namespace Iot.Firmware.Tests;

public class GatewayRuntimeTests
{
    private const long T0 = 1_795_000_020; // a minute boundary
    private const string Dev = "NS-0001";

    private readonly FakeClock _clock = new() { UtcSeconds = T0 };
    private readonly FakeMqttLink _mqtt = new() { IsConnected = false };
    private readonly FakeModbusMeter _meter = new() { NoiseLevel = 65.0 };
    private readonly FakeSwitch _lid = new();
    private readonly FakeMultiChannelAdc _adc = new();
    private readonly LittleFsModel _journalFiles = new();
    private readonly FakeFlash _configFlash = new(8 * 1024);
    private readonly FakeFlash _bootFlash = new(8 * 1024);
    private int _acked;

    private sealed record Rec(uint Seq, long T, int Q, JsonElement M);

    private GatewayRuntime Boot(int warmUpSeconds = 0, SiteKind site = SiteKind.Noise) =>
        new(new GatewayHardware
        {
            Clock = _clock, Mqtt = _mqtt, Inbox = _mqtt, Sensors = new BoardSensors(_clock, _meter, _adc), Tamper = _lid,
            JournalFiles = _journalFiles, ConfigFlash = _configFlash, BootFlash = _bootFlash,
        }, new GatewayRuntimeOptions
        {
            DeviceId = Dev, Firmware = "1.0.0", WarmUpSeconds = warmUpSeconds, DefaultSite = site,
            ReconnectBaseMs = 1000, ReconnectCapMs = 4000, UplinkBatch = 5,
        });

    /// <summary>Runs the main loop for whole seconds; the broker acknowledges every publish unless told not to.</summary>
    private void Run(GatewayRuntime gateway, int seconds, bool ack = true)
    {
        for (int i = 0; i < seconds; i++)
        {
            gateway.Tick();
            if (ack) AckNew();
            _clock.UtcSeconds++;
            _clock.MonotonicMs += 1000;
        }
    }

    private void AckNew()
    {
        for (; _acked < _mqtt.Published.Count; _acked++) _mqtt.Acknowledge(_mqtt.Published[_acked].Id);
    }

    private List<Rec> Telemetry() =>
        _mqtt.Envelopes(Dev)
            .SelectMany(p => JsonDocument.Parse(p.Payload).RootElement.GetProperty("recs").EnumerateArray())
            .Select(r => new Rec(r.GetProperty("seq").GetUInt32(), r.GetProperty("t").GetInt64(), r.GetProperty("q").GetInt32(), r.GetProperty("m").Clone()))
            .ToList();

    // At least once: a record whose PUBACK had not been taken before a restart is sent again.
    private List<Rec> UniqueTelemetry() => Telemetry().GroupBy(r => r.Seq).Select(g => g.First()).ToList();

    private List<JsonElement> Events(string type) =>
        _mqtt.Published.Where(p => p.Topic == $"iot/v1/{Dev}/event")
            .Select(p => JsonDocument.Parse(p.Payload).RootElement.Clone())
            .Where(e => e.GetProperty("type").GetString() == type)
            .ToList();

    [Fact]
    public void Closes_one_record_per_minute_with_the_meters_values()
    {
        _mqtt.IsConnected = true;
        var gateway = Boot();
        Run(gateway, 182);

        var recs = Telemetry();
        Assert.Equal([1u, 2u, 3u], recs.Select(r => r.Seq));
        Assert.Equal([T0, T0 + 60, T0 + 120], recs.Select(r => r.T));
        Assert.All(recs, r => Assert.Equal(0, r.Q));
        Assert.All(recs, r => Assert.Equal(65.0, r.M.GetProperty("laeq").GetDouble()));
        Assert.All(recs, r => Assert.Equal(65.0, r.M.GetProperty("lafmax").GetDouble()));
        Assert.Equal(0, gateway.Buffered);
        Assert.Equal(1u, gateway.Boot);
    }

    [Fact]
    public void Publishes_retained_status_and_the_boot_event_on_connect()
    {
        var gateway = Boot();
        Run(gateway, 3);

        var status = Assert.Single(_mqtt.Published, p => p.Topic == $"iot/v1/{Dev}/status");
        Assert.True(status.Retain);
        var doc = JsonDocument.Parse(status.Payload).RootElement;
        Assert.True(doc.GetProperty("online").GetBoolean());
        Assert.Equal(1, doc.GetProperty("boot").GetInt32());
        var boot = Assert.Single(Events("boot"));
        Assert.Equal("power_on", boot.GetProperty("data").GetProperty("reason").GetString());
        Assert.Equal([$"iot/v1/{Dev}/config"], _mqtt.Subscriptions);
    }

    [Fact]
    public void Warm_up_flags_the_first_minutes_and_an_unclean_restart_flags_the_next_first_record()
    {
        _mqtt.IsConnected = true;
        var first = Boot(warmUpSeconds: 120);
        Run(first, 181);
        Assert.Equal([4, 4, 0], Telemetry().Select(r => r.Q));

        // Power cut: no Shutdown. The next boot counts up, keeps the sequence and flags its first record.
        _clock.MonotonicMs = 1000;
        var second = Boot(warmUpSeconds: 0);
        Assert.Equal(2u, second.Boot);
        Assert.False(second.PreviousRunClean);
        Run(second, 120);
        var recs = UniqueTelemetry();
        Assert.Equal([1u, 2u, 3u, 4u, 5u], recs.Select(r => r.Seq));
        Assert.Equal(QualityBits.PowerInterruption, recs[3].Q);
        Assert.Equal(0, recs[4].Q);

        // A planned restart is clean.
        second.Shutdown();
        var third = Boot(warmUpSeconds: 0);
        Assert.Equal(3u, third.Boot);
        Assert.True(third.PreviousRunClean);
        Run(third, 61);
        Assert.Equal(0, UniqueTelemetry().Last().Q);
        Assert.Equal(6u, UniqueTelemetry().Last().Seq);
    }

    [Fact]
    public void An_open_lid_flags_its_minutes_and_sends_tamper_events()
    {
        _mqtt.IsConnected = true;
        var gateway = Boot();
        Run(gateway, 70);
        _lid.IsOpen = true;
        Run(gateway, 10);
        _lid.IsOpen = false;
        Run(gateway, 101);

        Assert.Equal([0, QualityBits.Tamper, 0], Telemetry().Select(r => r.Q));
        Assert.Equal([true, false], Events("tamper").Select(e => e.GetProperty("data").GetProperty("open").GetBoolean()));
    }

    [Fact]
    public void A_silent_meter_flags_the_minute_leaves_the_channel_out_and_reports_fault_and_recovery()
    {
        _mqtt.IsConnected = true;
        var gateway = Boot();
        Run(gateway, 60);
        _meter.Silent = true;
        Run(gateway, 60);
        _meter.Silent = false;
        Run(gateway, 61);

        var recs = Telemetry();
        Assert.Equal([0, QualityBits.SensorFault, 0], recs.Select(r => r.Q));
        Assert.False(recs[1].M.TryGetProperty("laeq", out _));
        var events = Events("sensor_fault");
        Assert.Equal([false, true], events.Select(e => e.GetProperty("data").GetProperty("ok").GetBoolean()));
        Assert.Equal("timeout", events[0].GetProperty("data").GetProperty("reason").GetString());
    }

    [Fact]
    public void An_unsynchronised_clock_flags_its_minutes_and_sends_clock_events()
    {
        _mqtt.IsConnected = true;
        var gateway = Boot();
        Run(gateway, 60);
        _clock.IsSynchronized = false;
        Run(gateway, 60);
        _clock.IsSynchronized = true;
        Run(gateway, 61);

        Assert.Equal([0, QualityBits.ClockUnsynced, 0], Telemetry().Select(r => r.Q));
        Assert.Equal([false, true], Events("clock").Select(e => e.GetProperty("data").GetProperty("synced").GetBoolean()));
    }

    [Fact]
    public void Offline_records_are_kept_and_drained_oldest_first_after_reconnect_with_the_backfill_bit()
    {
        _mqtt.BrokerReachable = false;
        var gateway = Boot();
        Run(gateway, 12 * 60 + 1);
        Assert.Empty(Telemetry());
        Assert.Equal(12, gateway.Buffered);

        _mqtt.BrokerReachable = true;
        Run(gateway, 30);

        var recs = Telemetry();
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (uint)i), recs.Select(r => r.Seq));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => T0 + 60L * i), recs.Select(r => r.T));
        Assert.All(recs.Take(10), r => Assert.Equal(QualityBits.Backfill, r.Q));
        Assert.Equal(0, recs[^1].Q); // closed under two minutes before it left
        Assert.Equal(0, gateway.Buffered);
        var status = JsonDocument.Parse(_mqtt.Published.First(p => p.Topic.EndsWith("/status")).Payload).RootElement;
        Assert.Equal(12, status.GetProperty("buffered").GetInt32());
    }

    [Fact]
    public void Records_stay_in_the_journal_until_their_puback()
    {
        _mqtt.IsConnected = true;
        var gateway = Boot();
        Run(gateway, 121, ack: false);
        Assert.Equal(2, gateway.Buffered);

        // The session drops before the PUBACK: the same records go again on the next session.
        _mqtt.IsConnected = false;
        Run(gateway, 10);
        Assert.Equal(0, gateway.Buffered);
        var seqs = Telemetry().Select(r => r.Seq).ToList();
        Assert.Equal([1u, 2u], seqs.Distinct());
        Assert.True(seqs.Count > 2);
    }

    [Fact]
    public void Applies_the_retained_configuration_and_reports_it_once()
    {
        _mqtt.IsConnected = true;
        var gateway = Boot();
        Run(gateway, 2);
        const string config = """{"v":1,"site":"fume","maint":true,"fan":{"on_a":0.5,"off_a":0.3,"a_per_count":0.01}}""";
        _mqtt.Deliver($"iot/v1/{Dev}/config", config);
        _mqtt.Deliver($"iot/v1/{Dev}/config", config); // re-delivered after a reconnect: no second event
        _mqtt.Deliver($"iot/v1/{Dev}/config", """{"v":1,"site":"mars"}""");
        _adc.AmplitudeCounts[0] = 300; // fan: 300 / sqrt(2) * 0.01 = 2.1 A
        _adc.AmplitudeCounts[1] = 0;   // purifier off
        _meter.Input[0] = 0x0000;      // 2.5 mg/m3 as float32, low word first
        _meter.Input[1] = 0x4020;
        Run(gateway, 119);

        Assert.Equal(SiteKind.Fume, gateway.Config.Site);
        Assert.Equal([true, false], Events("config_applied").Select(e => e.GetProperty("data").GetProperty("ok").GetBoolean()));
        var rec = Telemetry().Last();
        Assert.Equal(QualityBits.Maintenance, rec.Q);
        Assert.Equal(2.5, rec.M.GetProperty("fume").GetDouble());
        Assert.Equal(1.0, rec.M.GetProperty("fan").GetDouble());
        Assert.Equal(0.0, rec.M.GetProperty("pur").GetDouble());
        Assert.InRange(rec.M.GetProperty("fan_a").GetDouble(), 2.0, 2.2);

        // The configuration is stored: the next boot starts as a fume site.
        var rebooted = Boot();
        Assert.Equal(SiteKind.Fume, rebooted.Config.Site);
    }

    [Fact]
    public void Seq_keeps_increasing_across_many_reboots()
    {
        _mqtt.IsConnected = true;
        for (int boot = 1; boot <= 5; boot++)
        {
            var gateway = Boot();
            Assert.Equal((uint)boot, gateway.Boot);
            Run(gateway, 61);
            _clock.UtcSeconds += 29; // the restart takes a while: start on the next minute
        }
        var seqs = UniqueTelemetry().Select(r => r.Seq).ToList();
        Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (uint)i), seqs);
        Assert.True(seqs.Count >= 5);
    }
}

public class GatewayRuntimeSteadyStateTests
{
    [Fact]
    public void A_dust_site_with_a_pms5003_reads_the_uart_and_flags_a_silent_sensor()
    {
        var clock = new FakeClock { UtcSeconds = 1_795_000_020 };
        var mqtt = new FakeMqttLink();
        var uart = new FakeParticulateUart();
        var gateway = new GatewayRuntime(new GatewayHardware
        {
            Clock = clock, Mqtt = mqtt, Sensors = new BoardSensors(clock, null, null) { ParticulateUart = uart },
            JournalFiles = new LittleFsModel(), ConfigFlash = new FakeFlash(8 * 1024), BootFlash = new FakeFlash(8 * 1024),
        }, new GatewayRuntimeOptions { DeviceId = "DS-0001", DefaultSite = Iot.Gateway.Configuration.SiteKind.Dust, WarmUpSeconds = 0 });

        for (int s = 0; s < 121; s++)
        {
            if (s < 60) uart.Send(Pms5003ParserTests.Frame(10, 80, 160)); // then the sensor falls silent
            gateway.Tick();
            mqtt.AcknowledgeAll();
            clock.UtcSeconds++;
            clock.MonotonicMs += 1000;
        }

        var recs = mqtt.Published.Where(p => FakeMqttLink.CarriesRecords(p.Topic))
            .Select(p => JsonDocument.Parse(p.Payload).RootElement.GetProperty("recs")[0]).ToList();
        Assert.Equal(2, recs.Count);
        Assert.Equal(0, recs[0].GetProperty("q").GetInt32());
        Assert.Equal(160, recs[0].GetProperty("m").GetProperty("pm10").GetDouble());
        Assert.Equal(80, recs[0].GetProperty("m").GetProperty("pm25").GetDouble());
        Assert.Equal(QualityBits.SensorFault, recs[1].GetProperty("q").GetInt32());
    }

    [Fact]
    public void Steady_state_ticks_allocate_nothing()
    {
        var clock = new FakeClock { UtcSeconds = 1_795_000_020 };
        var mqtt = new InstantAckMqttLink();
        var reply = ModbusSlaveFrames.ReadResponse(1, 0x03, 652);
        var gateway = new GatewayRuntime(new GatewayHardware
        {
            Clock = clock, Mqtt = mqtt, Sensors = new BoardSensors(clock, new FixedReplyLink(reply), null), Tamper = new FakeSwitch(),
            JournalFiles = new LittleFsModel(files: 4), ConfigFlash = new FakeFlash(8 * 1024), BootFlash = new FakeFlash(8 * 1024),
        }, new GatewayRuntimeOptions { DeviceId = "NS-0001", WarmUpSeconds = 0 });

        void Run(int seconds)
        {
            for (int s = 0; s < seconds; s++)
            {
                gateway.Tick();
                clock.UtcSeconds++;
                clock.MonotonicMs += 1000;
            }
        }

        Run(400); // connect, boot event, status, first records: warm every path
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(600); // ten minutes: ten records closed, journaled, published and acknowledged, two status messages
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(16, gateway.RecordsWritten);
        Assert.Equal(0, gateway.Buffered);
    }
}
