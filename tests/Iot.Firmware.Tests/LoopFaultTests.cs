using System.Text.Json;
using Iot.Firmware.Tests.Fakes;
using Iot.Gateway.Hardware;
using Iot.Gateway.Runtime;
using Iot.Gateway.Sensors;

namespace Iot.Firmware.Tests;

/// <summary>The main loop under faults: a failing tick is survived and counted, a lasting failure or a stuck loop reboots, a slow broker does not stop the measuring.</summary>
public class LoopFaultTests
{
    private const long T0 = 1_795_000_020; // a minute boundary
    private const string Dev = "NS-0001";

    private readonly FakeClock _clock = new() { UtcSeconds = T0 };
    private readonly FakeMqttLink _mqtt = new();
    private readonly FakeModbusMeter _meter = new() { NoiseLevel = 65.0 };
    private readonly LittleFsModel _journalFiles = new();
    private readonly FakeReboot _reboot = new();
    private readonly FakeFlash _bootFlash = new(8 * 1024);

    private GatewayRuntime Boot(IMqttLink? mqtt = null, ISerialLink? meterLink = null, int rebootAfter = 60, bool background = false) =>
        new(new GatewayHardware
        {
            Clock = _clock, Mqtt = mqtt ?? _mqtt, Inbox = _mqtt, Sensors = new BoardSensors(_clock, meterLink ?? _meter, null), Reboot = _reboot,
            JournalFiles = _journalFiles, ConfigFlash = new FakeFlash(8 * 1024), BootFlash = _bootFlash,
        }, new GatewayRuntimeOptions
        {
            DeviceId = Dev, WarmUpSeconds = 0, RebootAfterFailingTicks = rebootAfter, ConnectInBackground = background,
            ReconnectBaseMs = 1000, ReconnectCapMs = 4000,
        });

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

    private List<JsonElement> FaultEvents() =>
        _mqtt.Published.Where(p => p.Topic == $"iot/v1/{Dev}/event")
            .Select(p => JsonDocument.Parse(p.Payload).RootElement.Clone())
            .Where(e => e.GetProperty("type").GetString() == "fault")
            .Select(e => e.GetProperty("data"))
            .ToList();

    [Fact]
    public void A_journal_write_that_throws_fails_one_tick_and_the_loop_goes_on()
    {
        var gateway = Boot();
        Run(gateway, 60);
        _journalFiles.CutPowerAfter(0); // the minute closes into a file system that fails
        gateway.Tick();
        Assert.Equal(1, gateway.FailingTicks);
        _journalFiles.Restore();
        _clock.UtcSeconds++;
        _clock.MonotonicMs += 1000;
        Run(gateway, 5);

        Assert.Equal(0, gateway.FailingTicks);
        Assert.Equal(1, gateway.FailedTicks);
        var faults = FaultEvents();
        Assert.Equal(2, faults.Count);
        Assert.False(faults[0].GetProperty("ok").GetBoolean());
        Assert.Equal(new PowerCutException().Message, faults[0].GetProperty("error").GetString());
        Assert.True(faults[1].GetProperty("ok").GetBoolean());
        Assert.Equal(1, faults[1].GetProperty("failed").GetInt32());
        Assert.Equal(0, _reboot.Reboots);
    }

    [Fact]
    public void A_meter_driver_that_keeps_throwing_reboots_after_the_limit_of_failing_ticks_in_a_row()
    {
        var driver = new ThrowingSerialLink();
        var gateway = Boot(meterLink: driver, rebootAfter: 5);
        Run(gateway, 4);
        Assert.Equal(0, _reboot.Reboots);
        Assert.Equal(4, gateway.FailingTicks);

        Run(gateway, 1);
        Assert.Equal(1, _reboot.Reboots);
        Assert.Single(FaultEvents()); // one report per streak, not one per second
    }

    [Fact]
    public void The_boot_after_a_fault_reboot_says_so_and_the_one_after_a_clean_run_does_not()
    {
        var gateway = Boot(meterLink: new ThrowingSerialLink(), rebootAfter: 3);
        Run(gateway, 3);
        Assert.Equal(1, _reboot.Reboots);
        Assert.Equal(GatewayRuntime.PowerOnReason, (string?)BootEvents()[0].GetProperty("reason").GetString());

        var rebooted = Boot();
        Run(rebooted, 2);
        var boot = BootEvents()[^1];
        Assert.Equal(GatewayRuntime.FaultRebootReason, boot.GetProperty("reason").GetString());
        Assert.False(boot.GetProperty("clean").GetBoolean());

        // That run ended without a word (power lost): the next boot is a power-on again, not a clean one.
        var again = Boot();
        Run(again, 2);
        Assert.Equal(GatewayRuntime.PowerOnReason, BootEvents()[^1].GetProperty("reason").GetString());
        Assert.False(BootEvents()[^1].GetProperty("clean").GetBoolean());
    }

    private List<JsonElement> BootEvents() =>
        _mqtt.Published.Where(p => p.Topic == $"iot/v1/{Dev}/event")
            .Select(p => JsonDocument.Parse(p.Payload).RootElement.Clone())
            .Where(e => e.GetProperty("type").GetString() == "boot")
            .Select(e => e.GetProperty("data").Clone())
            .ToList();

    [Fact]
    public void A_good_tick_ends_the_streak_so_scattered_failures_never_reboot()
    {
        var driver = new ThrowingSerialLink();
        var gateway = Boot(meterLink: driver, rebootAfter: 5);
        for (int round = 0; round < 4; round++)
        {
            driver.Throws = true;
            Run(gateway, 4);
            driver.Throws = false;
            Run(gateway, 1);
        }
        Assert.Equal(16, gateway.FailedTicks);
        Assert.Equal(0, gateway.FailingTicks);
        Assert.Equal(0, _reboot.Reboots);
    }

    [Fact]
    public void The_network_half_still_runs_when_sampling_throws()
    {
        var gateway = Boot(meterLink: new ThrowingSerialLink());
        Run(gateway, 3);
        Assert.Contains(_mqtt.Published, p => p.Topic == $"iot/v1/{Dev}/status");
        Assert.Single(FaultEvents());
    }

    [Fact]
    public void The_watchdog_stays_quiet_while_the_loop_feeds_it()
    {
        var watchdog = new LoopWatchdog(_clock, _reboot, 30_000);
        for (int i = 0; i < 100; i++)
        {
            _clock.MonotonicMs += 1000;
            watchdog.Feed();
            Assert.False(watchdog.Check());
        }
        Assert.Equal(0, _reboot.Reboots);
    }

    [Fact]
    public void The_watchdog_reboots_once_when_the_loop_stops_feeding_it()
    {
        var watchdog = new LoopWatchdog(_clock, _reboot, 30_000);
        _clock.MonotonicMs += 29_999;
        Assert.False(watchdog.Check());
        _clock.MonotonicMs += 1;
        Assert.True(watchdog.Check());
        Assert.True(watchdog.Check());
        Assert.Equal(1, _reboot.Reboots);
    }

    [Fact]
    public void The_watchdog_thread_reboots_a_stuck_loop()
    {
        // Nobody feeds: the loop is stuck. The thread's own sleeps move the fake clock past the timeout.
        var watchdog = new LoopWatchdog(_clock, _reboot, 30_000);
        watchdog.Start(1000);
        Assert.True(SpinWait.SpinUntil(() => watchdog.Fired, TimeSpan.FromSeconds(10)));
        Assert.Equal(1, _reboot.Reboots);
    }

    [Fact]
    public void A_broker_connect_that_hangs_does_not_stop_the_minute_records()
    {
        var broker = new GatedMqttLink(_mqtt) { Reachable = true };
        _mqtt.IsConnected = false;
        var gateway = Boot(mqtt: broker, background: true);
        Run(gateway, 1);
        Assert.True(SpinWait.SpinUntil(() => broker.Busy, TimeSpan.FromSeconds(10)));
        Run(gateway, 180); // the first attempt hangs for three minutes (a TLS handshake into a dead route)

        Assert.Equal(3, gateway.RecordsWritten);
        Assert.Equal(1, broker.Attempts);
        Assert.Empty(_mqtt.Published);

        broker.Gate.Set(); // the handshake completes; the loop picks the session up on a later tick
        Assert.True(SpinWait.SpinUntil(() =>
        {
            Run(gateway, 1);
            return gateway.RecordsDelivered == 3;
        }, TimeSpan.FromSeconds(10)));
        Assert.Equal(0, gateway.FailedTicks);
    }

    [Fact]
    public void A_broker_connect_that_throws_on_the_worker_is_retried_with_backoff_while_measuring_goes_on()
    {
        var broker = new GatedMqttLink(_mqtt) { Throws = true };
        broker.Gate.Set();
        _mqtt.IsConnected = false;
        var gateway = Boot(mqtt: broker, background: true);
        for (int i = 0; i < 121; i++)
        {
            Run(gateway, 1);
            SpinWait.SpinUntil(() => !broker.Busy, TimeSpan.FromSeconds(5)); // let each attempt finish within its second
        }

        Assert.Equal(2, gateway.RecordsWritten);
        Assert.InRange(broker.Attempts, 2, 60); // retried, with growing delays
        Assert.Equal(0, gateway.FailedTicks);
    }

    private sealed class FakeReboot : IReboot
    {
        private int _reboots;
        public int Reboots => Volatile.Read(ref _reboots);
        public void Reboot() => Interlocked.Increment(ref _reboots);
    }

    /// <summary>A UART driver in a bad state: every call throws while Throws is set, else a silent line.</summary>
    private sealed class ThrowingSerialLink : ISerialLink
    {
        public bool Throws { get; set; } = true;
        public int BaudRate => 9600;
        public void DiscardInput() { if (Throws) throw new IOException("uart"); }
        public void Write(byte[] buffer, int offset, int count) { if (Throws) throw new IOException("uart"); }
        public int Read(byte[] buffer, int offset, int count, int timeoutMs) => Throws ? throw new IOException("uart") : 0;
    }

    /// <summary>A broker session whose Connect blocks until Gate is set (then connects the inner fake, or throws).</summary>
    private sealed class GatedMqttLink(FakeMqttLink inner) : IMqttLink
    {
        private int _attempts;
        private int _busy;
        public ManualResetEventSlim Gate { get; } = new(false);
        public bool Reachable { get; init; }
        public bool Throws { get; init; }
        public int Attempts => Volatile.Read(ref _attempts);
        public bool Busy => Volatile.Read(ref _busy) != 0;
        public bool IsConnected => inner.IsConnected;
        public bool LoginRefused => false;

        public bool Connect(string? userName, string? password, bool will)
        {
            Interlocked.Increment(ref _attempts);
            Volatile.Write(ref _busy, 1);
            try
            {
                Gate.Wait(TimeSpan.FromSeconds(30));
                if (Throws) throw new IOException("no route to host");
                return Reachable && inner.Connect(userName, password, will);
            }
            finally
            {
                Volatile.Write(ref _busy, 0);
            }
        }

        public void Disconnect() => inner.Disconnect();
        public int Publish(string topic, byte[] payload, int length, bool retain) => inner.Publish(topic, payload, length, retain);
        public bool TryTakeAcknowledged(out int packetId) => inner.TryTakeAcknowledged(out packetId);
    }
}
