using Iot.Gateway.Configuration;
using Iot.Gateway.Hardware;
using Iot.Gateway.Modbus;
using Iot.Gateway.Ota;
using Iot.Gateway.Runtime;
using Iot.Gateway.Sensors;
using Iot.Gateway.Telemetry;
using Iot.Gateway.Virtual.Hardware;
using Xunit;

namespace Iot.Fleet.Tests.Updates;

/// <summary>
/// The device side of what the campaign end-to-end test saw: a virtual gateway (the firmware's GatewayRuntime and
/// OtaUpdater on the virtual slots, meter and flash, stepped second by second as VirtualGateway does) boots a version
/// that crashes 5 s after every start. When a minute window closes in those seconds and the broker is quick, a valid
/// record gets its PUBACK before the crash; that must not confirm the version (it would stay in a crash loop for ever,
/// and the fleet would report `confirmed` for a release that never ran). Deterministic: an in-memory broker link.
/// </summary>
public sealed class TrialConfirmationTests : IDisposable
{
    private const long StartUtc = 1_795_000_020; // a minute boundary
    private const string Dev = "OTA-0001";
    private readonly string _dir = Directory.CreateTempSubdirectory("iot-ota-trial-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_version_that_crashes_seconds_after_boot_never_confirms_even_when_a_record_got_out_first()
    {
        using var run = new Device(_dir, "1.2.0", VirtualFirmware.CrashOnBoot);
        run.RunUntil(57, 200); // boots at :57, the window closes at :00, 3 s into the first trial boot

        Assert.True(run.EvidenceOnTrial, "a valid record was delivered while the new version was on trial (the case under test)");
        Assert.DoesNotContain("confirmed", run.Phases);
        Assert.Equal("rolled_back", run.Phases[^1]);
        Assert.Equal("crash_loop", run.LastReason);
        Assert.Equal((VirtualFirmware.FactoryVersion, false), (run.Slots.RunningVersion, run.Slots.InTrial));
    }

    [Fact]
    public void A_healthy_version_confirms_once_it_has_run_the_confirm_time()
    {
        using var run = new Device(_dir, "1.1.0", VirtualFirmware.Ok);
        run.RunUntil(57, 200);

        Assert.Equal("confirmed", run.Phases[^1]);
        Assert.Equal(("1.1.0", false), (run.Slots.RunningVersion, run.Slots.InTrial));
        Assert.InRange(run.ConfirmedAtUptime!.Value, new OtaSettings().ConfirmAfterSeconds, 2 * 60);
    }

    /// <summary>One virtual gateway with a new version activated (installed by the updater a moment ago).</summary>
    private sealed class Device : IDisposable
    {
        private readonly FlashFile _flash;
        private readonly SimulatedClock _clock = new(StartUtc);
        private readonly FakeBroker _broker = new();
        private readonly SimulatedModbusMeter _meter = new(MeterProfiles.NoiseTransmitter(), (byte)new GatewayConfig().MeterSlave);
        private readonly GatewayHardware _hardware;
        private readonly OtaSettings _ota = new() { ReleaseKey = new byte[32], Target = "virtual", TrialSeconds = 300, VerifyRoundsPerStep = 1000 };

        public Device(string dir, string version, string behaviour)
        {
            Slots = new FirmwareSlotFiles(Path.Combine(dir, Dev + ".firmware"));
            var bundle = VirtualFirmware.Bundle(version, behaviour);
            Slots.WriteStaging(bundle, 0, bundle.Length);
            Slots.Activate(version);
            var flash = _flash = new FlashFile(Path.Combine(dir, Dev + ".flash"), 8 * 1024 + 8 * 1024 + 2 * FlashFile.SectorSize);
            _hardware = new GatewayHardware
            {
                Clock = _clock, Mqtt = _broker, Inbox = _broker, Sensors = new BoardSensors(_clock, _meter, null),
                JournalFiles = new DirectoryFileStore(Path.Combine(dir, Dev + ".journal")), ConfigFlash = flash.Partition(0, 8 * 1024),
                BootFlash = flash.Partition(8 * 1024, 8 * 1024), OtaFlash = flash.Partition(16 * 1024, 2 * FlashFile.SectorSize),
                Firmware = Slots, FirmwareDownload = new NoDownload(),
            };
        }

        public void Dispose() => _flash.Dispose();

        public FirmwareSlotFiles Slots { get; }
        public List<string> Phases { get; } = [];
        public string? LastReason { get; private set; }
        public bool EvidenceOnTrial { get; private set; }
        public long? ConfirmedAtUptime { get; private set; }

        /// <summary>Steps simulated seconds from..to: the boot loader, a crash 5 s after boot for crash_on_boot, restarts on request.</summary>
        public void RunUntil(long from, long seconds)
        {
            GatewayRuntime? runtime = null;
            string behaviour = VirtualFirmware.Ok;
            long offUntil = from;
            for (long s = from; s < from + seconds; s++)
            {
                _clock.Second = s;
                if (runtime is { UptimeSeconds: >= 5 } && behaviour == VirtualFirmware.CrashOnBoot)
                {
                    runtime = null; // the watchdog: no clean shutdown
                    offUntil = s + 1;
                }
                if (runtime is null)
                {
                    if (s < offUntil) continue;
                    _clock.Reboot();
                    Slots.Boot();
                    behaviour = VirtualFirmware.BehaviourOf(Slots.RunningImage());
                    _broker.Drop();
                    runtime = new GatewayRuntime(_hardware, new GatewayRuntimeOptions
                    {
                        DeviceId = Dev, Firmware = Slots.RunningVersion, Ota = _ota, DefaultSite = SiteKind.Noise, ReconnectBaseMs = 1000, ReconnectCapMs = 30_000,
                    });
                }
                foreach (var point in _meter.Profile.Points) _meter.SetValue(point, 55);
                runtime.Tick();
                if (Slots.InTrial && runtime.RecordsDelivered > 0) EvidenceOnTrial = true;
                foreach (var (phase, reason) in _broker.TakeOtaEvents())
                {
                    Phases.Add(phase);
                    LastReason = reason;
                    if (phase == "confirmed") ConfirmedAtUptime ??= runtime.UptimeSeconds;
                }
                if (runtime.RestartRequested)
                {
                    runtime.Shutdown();
                    runtime = null;
                    offUntil = s + 2;
                }
            }
        }
    }

    private sealed class NoDownload : IFirmwareDownload
    {
        public int Read(string url, int position, byte[] buffer, int offset, int count) => DownloadResult.Failed;
        public void Close() { }
    }

    /// <summary>A broker that connects at once and acknowledges every publish at once (a quick broker on a slow machine).</summary>
    private sealed class FakeBroker : IMqttLink, IMqttInbox
    {
        private readonly Queue<int> _acks = new();
        private readonly List<(string Phase, string? Reason)> _events = [];
        private int _nextId;

        public bool IsConnected { get; private set; }
        public bool LoginRefused => false;

        public bool Connect(string userName, string password, bool will) => IsConnected = true;

        public void Disconnect() => IsConnected = false;

        public void Drop()
        {
            IsConnected = false;
            _acks.Clear();
        }

        public int Publish(string topic, byte[] payload, int length, bool retain)
        {
            if (!IsConnected) return -1;
            if (topic == $"iot/v1/{Dev}/event")
            {
                using var doc = System.Text.Json.JsonDocument.Parse(payload.AsMemory(0, length));
                var root = doc.RootElement;
                if (root.GetProperty("type").GetString() == "ota")
                {
                    var data = root.GetProperty("data");
                    _events.Add((data.GetProperty("phase").GetString()!, data.TryGetProperty("reason", out var r) ? r.GetString() : null));
                }
            }
            int id = ++_nextId;
            _acks.Enqueue(id);
            return id;
        }

        public bool TryTakeAcknowledged(out int packetId) => _acks.TryDequeue(out packetId);

        public bool Subscribe(string topic) => true;

        public int TryTakeMessage(byte[] buffer, out string topic)
        {
            topic = "";
            return -1;
        }

        public List<(string Phase, string? Reason)> TakeOtaEvents()
        {
            var taken = _events.ToList();
            _events.Clear();
            return taken;
        }
    }
}
