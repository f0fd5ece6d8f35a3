using Iot.Contract;
using Iot.Gateway.Configuration;
using Iot.Gateway.Modbus;
using Iot.Gateway.Ota;
using Iot.Gateway.Runtime;
using Iot.Gateway.Sensors;
using Iot.Gateway.Telemetry;
using Iot.Gateway.Virtual.Hardware;

namespace Iot.Gateway.Virtual.Simulation;

/// <summary>
/// How a virtual gateway logs in to the broker: its own account (a directly registered gateway, credentials from the
/// fleet), or, factory-fresh, only its bootstrap secret (it is then claimed over iot/v1/{id}/prov/#). All null: anonymous.
/// </summary>
public sealed record DeviceLogin(string? UserName = null, string? Password = null, string? BootstrapSecret = null, string? EvidenceKey = null);

/// <summary>
/// One simulated gateway: the firmware's GatewayRuntime on simulated hardware, driven second by second by the
/// runner, which applies the device's scenario (levels, faults, outages, clock loss, tamper, reboots) first.
/// </summary>
public sealed class VirtualGateway : IAsyncDisposable
{
    /// <summary>Firmware version the virtual gateways report when updates are off.</summary>
    public const string Firmware = "virtual-1.0";
    /// <summary>Target name of virtual firmware releases (Iot.Gateway.Release publish --target virtual).</summary>
    public const string FirmwareTarget = "virtual";
    /// <summary>Seconds a crash_on_boot firmware runs before it crashes.</summary>
    public const int CrashAfterSeconds = 5;
    // 16 journal segments of 4 KiB (64 KiB): a virtual gateway keeps about ten hours of records offline.
    public const int JournalSegments = 16;
    private static readonly GatewayRuntimeOptions DeviceDefaults = new();
    private readonly bool _deviceBackoff;

    /// <summary>As on the ESP32: each gateway publishes a fresh minute at its own offset of up to 20 s.</summary>
    public const int LiveSpreadSeconds = 20;
    private const int ConfigBytes = 8 * 1024;
    private const int BootBytes = 8 * 1024;

    private readonly DeviceScenario _device;
    private readonly FlashFile _flash;
    private readonly GatewayHardware _hardware;
    private readonly SimulatedCurrentClamps _clamps = new(new CurrentSensorSettings().AmpsPerCount);
    private readonly SimulatedTamperSwitch _lid = new();
    private readonly SimulatedPms5003? _pms;
    private readonly FlashFile _loginFlash;
    private readonly DeviceLogin _login;
    private readonly FlashFile? _otaFlash;
    private readonly FirmwareSlotFiles? _slots;
    private readonly OtaSettings? _ota;
    private string _behaviour = VirtualFirmware.Ok;
    private readonly Random _random;
    private int _nextReboot;
    private long _offUntil;
    private string _bootReason = "power_on";
    private int _recordsBeforeBoot;
    private int _deliveredBeforeBoot;

    /// <summary>
    /// One gateway. With releaseKey, over-the-air updates are on: firmware slots in {id}.firmware/, the update job
    /// in {id}.ota.flash, bundles downloaded over HTTP, and the firmware behaves as its running image says. The login
    /// the device received when it was claimed is kept in {id}.login.flash.
    /// </summary>
    public VirtualGateway(DeviceScenario device, long startUtc, string host, int port, string stateDirectory, byte[]? releaseKey = null,
        int trialSeconds = 600, DeviceLogin? login = null, System.Security.Cryptography.X509Certificates.X509Certificate2? ca = null,
        bool deviceBackoff = false)
    {
        _device = device;
        _deviceBackoff = deviceBackoff;
        _login = login ?? new DeviceLogin();
        Clock = new SimulatedClock(startUtc);
        Meter = new SimulatedModbusMeter(MeterProfiles.ForSite(device.Site), (byte)new GatewayConfig().MeterSlave);
        Link = new MqttClientLink(host, port, device.Id, ca);
        _flash = new FlashFile(Path.Combine(stateDirectory, device.Id + ".flash"), ConfigBytes + BootBytes);
        _loginFlash = new FlashFile(Path.Combine(stateDirectory, device.Id + ".login.flash"), 2 * FlashFile.SectorSize);
        _random = new Random(StableHash(device.Id)); // the same variation on every run
        _hardware = new GatewayHardware
        {
            Clock = Clock,
            Mqtt = Link,
            Inbox = Link,
            JournalFiles = new DirectoryFileStore(Path.Combine(stateDirectory, device.Id + ".journal")),
            ConfigFlash = _flash.Partition(0, ConfigBytes),
            BootFlash = _flash.Partition(ConfigBytes, BootBytes),
            CredentialFlash = _loginFlash.Partition(0, 2 * FlashFile.SectorSize),
            // The ESP32 board simulated: the scenario's meter on the bus, clamps on a fume site's fan and purifier, and
            // a PMS5003 instead of the dust monitor when the scenario says so.
            Sensors = new BoardSensors(Clock, Meter, _clamps) { ParticulateUart = _pms = device.Pms5003 ? new SimulatedPms5003() : null },
            Tamper = _lid,
        };
        if (releaseKey is not null)
        {
            _slots = new FirmwareSlotFiles(Path.Combine(stateDirectory, device.Id + ".firmware"));
            _otaFlash = new FlashFile(Path.Combine(stateDirectory, device.Id + ".ota.flash"), 2 * FlashFile.SectorSize);
            _hardware.Firmware = _slots;
            _hardware.FirmwareDownload = new HttpFirmwareDownload();
            _hardware.OtaFlash = _otaFlash.Partition(0, 2 * FlashFile.SectorSize);
            _ota = new OtaSettings { ReleaseKey = releaseKey, Target = FirmwareTarget, TrialSeconds = trialSeconds, VerifyRoundsPerStep = 1000, ChunkBytes = 16 * 1024 };
        }
    }

    /// <summary>The firmware slots (null when updates are off).</summary>
    public FirmwareSlotFiles? Slots => _slots;

    public string Id => _device.Id;
    public SimulatedClock Clock { get; }
    public SimulatedModbusMeter Meter { get; }
    public MqttClientLink Link { get; }

    /// <summary>The running firmware, or null while the device is off.</summary>
    public GatewayRuntime? Runtime { get; private set; }

    /// <summary>Records written in this process across reboots.</summary>
    public int RecordsWritten => _recordsBeforeBoot + (Runtime?.RecordsWritten ?? 0);

    /// <summary>Records acknowledged by the broker in this process across reboots.</summary>
    public int RecordsDelivered => _deliveredBeforeBoot + (Runtime?.RecordsDelivered ?? 0);

    /// <summary>True when nothing waits for the broker (records or events).</summary>
    public bool Drained => Runtime is { Buffered: 0, EventsPending: 0 };

    /// <summary>Runs simulated second s: scenario state first, then one tick of the firmware.</summary>
    public void Step(long s)
    {
        Clock.Second = s;
        if (_nextReboot < _device.Reboots.Count && s >= _device.Reboots[_nextReboot].At)
        {
            var reboot = _device.Reboots[_nextReboot++];
            PowerOff(s, reboot.Down, reboot.Clean, reboot.Clean ? "software" : "power_on");
        }
        if (Runtime is { UptimeSeconds: >= CrashAfterSeconds } && _behaviour == VirtualFirmware.CrashOnBoot) PowerOff(s, 1, false, "watchdog");
        if (Runtime is null)
        {
            if (s < _offUntil) return;
            Clock.Reboot();
            _slots?.Boot(); // the boot loader: a pending switch, the trial boot count
            _behaviour = _slots is null ? VirtualFirmware.Ok : VirtualFirmware.BehaviourOf(_slots.RunningImage());
            Runtime = new GatewayRuntime(_hardware, new GatewayRuntimeOptions
            {
                DeviceId = _device.Id,
                UserName = _login.UserName,
                Password = _login.Password,
                BootstrapSecret = _login.BootstrapSecret,
                EvidenceKey = _login.EvidenceKey,
                Firmware = _slots?.RunningVersion ?? Firmware,
                Ota = _ota,
                BootReason = _bootReason,
                DefaultSite = _device.Site,
                JournalSegments = JournalSegments,
                UplinkBatch = 60,
                EnvelopeBytes = 16 * 1024,
                ReconnectBaseMs = _deviceBackoff ? DeviceDefaults.ReconnectBaseMs : 1000,
                ReconnectCapMs = _deviceBackoff ? DeviceDefaults.ReconnectCapMs : 30_000,
                LiveSpreadSeconds = LiveSpreadSeconds,
            });
            Runtime.Rssi = -50 - StableHash(_device.Id) % 35;
            Runtime.FreeHeapBytes = 54_000;
        }

        Link.SetNetwork(!DeviceScenario.In(_device.Outages, s) && _behaviour != VirtualFirmware.NoConnection);
        Clock.IsSynchronized = !DeviceScenario.In(_device.ClockLoss, s);
        _lid.IsOpen = DeviceScenario.In(_device.Tamper, s);
        Meter.Silent = DeviceScenario.In(_device.Faults, s) || _behaviour == VirtualFirmware.NoSensorData;
        foreach (var point in Meter.Profile.Points) Meter.SetValue(point, Level(point.Channel, s));
        if (_pms is not null)
        {
            _pms.Silent = Meter.Silent;
            _pms.Emit(Level(Channel.Pm25, s), Level(Channel.Pm10, s));
        }
        if (_device.Site == SiteKind.Fume)
        {
            _clamps.SetAmps(0, Level(Channel.FanA, s));
            _clamps.SetAmps(1, Level(Channel.PurA, s));
        }
        Runtime.Tick();
        // An update switched versions (or gave one up): restart into it, as the ESP32 app does.
        if (Runtime.RestartRequested) PowerOff(s, 2, true, "ota");
    }

    // The device goes off at second s for `down` seconds (a clean shutdown marks the run as ended on purpose).
    private void PowerOff(long s, long down, bool clean, string bootReason)
    {
        if (Runtime is { } running)
        {
            if (clean) running.Shutdown();
            _recordsBeforeBoot += running.RecordsWritten;
            _deliveredBeforeBoot += running.RecordsDelivered;
            Runtime = null;
            Link.Drop();
        }
        _offUntil = s + down;
        _bootReason = bootReason;
    }

    /// <summary>Serves the network without sampling (draining at the end of a run); clock at simulated second s.</summary>
    public void Pump(long s)
    {
        Clock.Second = s;
        Runtime?.Pump();
    }

    public async ValueTask DisposeAsync()
    {
        await Link.DisposeAsync().ConfigureAwait(false);
        _flash.Dispose();
        _loginFlash.Dispose();
        _otaFlash?.Dispose();
    }

    private static int StableHash(string text)
    {
        uint h = 2166136261;
        foreach (char c in text) h = (h ^ c) * 16777619;
        return (int)(h & int.MaxValue);
    }

    private double Level(int channel, long s)
    {
        double value = _device.LevelAt(channel, s) ?? Default(channel, s);
        if (channel is Channel.FanA or Channel.PurA && value == 0) return 0;
        return value * (1 + (_random.NextDouble() * 2 - 1) * _device.Jitter);
    }

    // Plausible values for what the scenario leaves out; PM2.5 and TSP follow PM10 when only PM10 is given.
    private double Default(int channel, long s) => channel switch
    {
        Channel.Laeq => 50,
        Channel.Pm10 => 40,
        Channel.Pm25 => 0.6 * (_device.LevelAt(Channel.Pm10, s) ?? 40),
        Channel.Tsp => 1.5 * (_device.LevelAt(Channel.Pm10, s) ?? 40),
        Channel.Temp => 20,
        Channel.Rh => 50,
        Channel.Fume => 0.3,
        _ => 0,
    };
}
