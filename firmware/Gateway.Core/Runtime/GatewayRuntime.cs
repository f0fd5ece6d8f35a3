using System;
using Iot.Contract.Signing;
using Iot.Contract;
using Iot.Gateway.Configuration;
using Iot.Gateway.Hardware;
using Iot.Gateway.Journal;
using Iot.Gateway.Json;
using Iot.Gateway.Modbus;
using Iot.Gateway.Ota;
using Iot.Gateway.Particulate;
using Iot.Gateway.Power;
using Iot.Gateway.Provisioning;
using Iot.Gateway.Telemetry;
using Iot.Gateway.Uplink;

namespace Iot.Gateway.Runtime
{
    /// <summary>
    /// The gateway's main loop as a step function: the platform calls Tick once per second (the ESP32 app from
    /// its main thread, the virtual gateway from its scheduler). Each Tick samples the site's sensors into the
    /// open minute, closes the minute at its boundary into the journal (with its quality bits), keeps the broker
    /// session up, drains the journal oldest first (records leave it only after PUBACK), sends events and the
    /// retained status, applies configuration from the retained config topic, and runs signed over-the-air updates
    /// from the cmd topic (Ota/OtaUpdater, when the platform provides the firmware slots). A factory-fresh gateway is
    /// first claimed over the provisioning topics (Provisioning/ClaimExchange): until then it only says hello and
    /// keeps journaling. After construction nothing allocates per Tick except on configuration changes.
    /// </summary>
    public sealed class GatewayRuntime
    {
        /// <summary>Consecutive failed seconds after which a sensor_fault event is sent.</summary>
        public const int SensorFaultEventAfterSeconds = 3;
        /// <summary>Seconds without a PMS5003 frame after which the sensor counts as silent (it sends about every second).</summary>
        public const int ParticulateSilentAfterSeconds = 3;
        /// <summary>How long an optional meter (a dust site's wind sensors) that did not answer is left alone before the next try.</summary>
        public const int OptionalMeterRetryMs = 60000;
        /// <summary>Largest configuration document accepted.</summary>
        public const int MaxConfigBytes = 1024;

        private readonly GatewayHardware _hw;
        private readonly GatewayRuntimeOptions _options;
        private readonly IClock _clock;
        private readonly IMqttLink _mqtt;
        private readonly DeviceTopics _topics;
        private readonly BootLog _bootLog;
        private readonly RecordJournal _journal;
        private readonly ConfigManager _config;
        private readonly AckRouter _router;
        private readonly ConnectionSupervisor _supervisor;
        private readonly TelemetryUplink _uplink;
        private readonly EventOutbox _events;
        private readonly TamperMonitor _tamper;
        private readonly OtaUpdater _ota;
        private readonly ClaimExchange _claim;
        private readonly JsonWriter _statusWriter = new JsonWriter(new byte[384]);
        private readonly byte[] _configBuffer = new byte[MaxConfigBytes];
        private readonly byte[] _uart = new byte[64];
        private readonly MinuteRecord _record = new MinuteRecord();
        private readonly long _bootMs;

        private SiteKind _site;
        private MinuteAggregator _aggregator;
        private MeterPoller _poller;
        private MeterPoller[] _optionalPollers;
        private long[] _optionalNextPollMs;
        private Pms5003Parser _particulate;
        private CurrentTransformerChannel _fan;
        private CurrentTransformerChannel _purifier;
        private int _warmUpSeconds;
        private bool _powerInterrupted;
        private int _failedSeconds;
        private int _particulateQuietSeconds;
        private bool _sensorFaultReported;
        private long _nextStatusMs;

        /// <summary>Boots the gateway: counts the boot, opens the journal and stored configuration, queues the boot event.</summary>
        public GatewayRuntime(GatewayHardware hardware, GatewayRuntimeOptions options)
        {
            if (hardware == null || options == null) throw new ArgumentNullException("hardware");
            if (hardware.Clock == null || hardware.Mqtt == null || hardware.JournalFiles == null || hardware.ConfigFlash == null || hardware.BootFlash == null)
            {
                throw new ArgumentException("clock, mqtt, the journal files and the two flash partitions are required");
            }
            if (options.DeviceId == null || options.DeviceId.Length == 0) throw new ArgumentException("DeviceId");
            _hw = hardware;
            _options = options;
            _clock = hardware.Clock;
            _mqtt = hardware.Mqtt;
            _bootMs = _clock.MonotonicMs;
            _topics = new DeviceTopics(options.DeviceId);

            _journal = new RecordJournal(hardware.JournalFiles, RecordJournal.DefaultSegmentBytes, options.JournalSegments);
            _journal.Open();

            // The boot log also notes where a new firmware version's records begin in the journal (see BootLog).
            _bootLog = new BootLog(hardware.BootFlash);
            _bootLog.Open(options.Firmware, _journal.NextSeq, hardware.Firmware != null ? hardware.Firmware.PreviousVersion : null);
            _powerInterrupted = !_bootLog.PreviousRunClean;

            _config = new ConfigManager(new ConfigStore(hardware.ConfigFlash), MaxConfigBytes);
            if (!_config.LoadStored()) _config.Active.Site = options.DefaultSite;

            _router = new AckRouter(_mqtt);
            _supervisor = new ConnectionSupervisor(_mqtt, _clock, new ReconnectBackoff(options.ReconnectBaseMs, options.ReconnectCapMs, Hash(options.DeviceId)));
            if (options.ConnectInBackground) _supervisor.ConnectInBackground();
            byte[] configuredKey = HmacSha256.ParseHexKey(options.EvidenceKey);
            if (options.EvidenceKey != null && (configuredKey == null || configuredKey.Length != HmacSha256.EvidenceKeyBytes))
            {
                throw new ArgumentException("EvidenceKey must be 64 hex digits");
            }
            _claim = new ClaimExchange(_mqtt, _clock, _topics, options.DeviceId, options.Firmware, options.UserName, options.Password, configuredKey,
                hardware.CredentialFlash != null ? new CredentialStore(hardware.CredentialFlash) : null, options.BootstrapSecret);
            _supervisor.UseLogin(_claim.UserName, _claim.Password, !_claim.Unclaimed);
            _uplink = new TelemetryUplink(_router, _journal, _clock, _topics, options.DeviceId, options.Firmware, _bootLog.Boot,
                options.UplinkBatch, new byte[options.EnvelopeBytes], options.AckTimeoutMs);
            _uplink.SetFirmwareBoundary(_bootLog.FirmwareBoundarySeq, _bootLog.PreviousFirmware);
            _uplink.UseEvidenceKey(_claim.EvidenceKey);
            _events = new EventOutbox(options.EventCapacity, 256);
            if (hardware.Tamper != null) _tamper = new TamperMonitor(hardware.Tamper);
            if (hardware.Firmware != null && hardware.FirmwareDownload != null && hardware.OtaFlash != null && options.Ota != null && options.Ota.ReleaseKey != null)
            {
                _ota = new OtaUpdater(hardware.Firmware, hardware.FirmwareDownload, hardware.OtaFlash, _events, _mqtt, _clock, _topics, options.DeviceId, options.Ota);
            }

            BuildSite();
            QueueBootEvent();
            if (_ota != null) _ota.Boot();
        }

        /// <summary>This run's boot number (kept across reboots).</summary>
        public uint Boot { get { return _bootLog.Boot; } }

        /// <summary>First journal sequence number of the running firmware version after a version change (0: none known).</summary>
        public uint FirmwareBoundarySeq { get { return _bootLog.FirmwareBoundarySeq; } }

        /// <summary>The version that measured the records below FirmwareBoundarySeq, or null when unknown.</summary>
        public string PreviousFirmware { get { return _bootLog.PreviousFirmware; } }

        /// <summary>False when the previous run ended without Shutdown (its first record carries the power-interruption bit).</summary>
        public bool PreviousRunClean { get { return _bootLog.PreviousRunClean; } }

        /// <summary>The configuration in force.</summary>
        public GatewayConfig Config { get { return _config.Active; } }

        /// <summary>The device's MQTT topics.</summary>
        public DeviceTopics Topics { get { return _topics; } }

        /// <summary>Records in the journal waiting for their PUBACK.</summary>
        public int Buffered { get { return _journal.Pending; } }

        /// <summary>Sequence number the next record will get.</summary>
        public uint NextSeq { get { return _journal.NextSeq; } }

        /// <summary>Records closed into the journal since boot.</summary>
        public int RecordsWritten { get; private set; }

        /// <summary>Records acknowledged by the broker since boot.</summary>
        public int RecordsDelivered { get { return _uplink.Delivered; } }

        /// <summary>Events waiting for the broker.</summary>
        public int EventsPending { get { return _events.Count; } }

        /// <summary>Signal strength for the status document, dBm (set by the platform).</summary>
        public int Rssi { get; set; }

        /// <summary>Free managed heap for the status document, bytes (set by the platform).</summary>
        public int FreeHeapBytes { get; set; }

        /// <summary>True when an update wants the platform to restart now (into the new or the previous version): call Shutdown, then restart.</summary>
        public bool RestartRequested { get { return _ota != null && _ota.RestartRequested; } }

        /// <summary>Phase of the last update (see Ota.OtaPhase), or null.</summary>
        public string UpdatePhase { get { return _ota != null ? _ota.Phase : null; } }

        /// <summary>Which broker login the device uses; Bootstrap while it waits to be claimed.</summary>
        public LoginKind Login { get { return _claim.Login; } }

        /// <summary>True when telemetry envelopes carry a MAC under the device's evidence key.</summary>
        public bool TelemetryAuthenticated { get { return _uplink.Authenticated; } }

        /// <summary>Consecutive connection attempts the broker refused for their credentials (0 once one succeeds).</summary>
        public int LoginRefusals { get { return _supervisor.LoginRefusals; } }

        /// <summary>Seconds since boot.</summary>
        public long UptimeSeconds { get { return (_clock.MonotonicMs - _bootMs) / 1000; } }

        /// <summary>Ticks in a row that failed (threw), up to the one that works again.</summary>
        public int FailingTicks { get; private set; }

        /// <summary>Ticks that failed since boot.</summary>
        public int FailedTicks { get; private set; }

        /// <summary>
        /// One second of the main loop: sample, close the minute when due, then serve the network. Never throws: a
        /// failure of either half (a flash or driver error) is counted and reported in a fault event, the other half
        /// still runs, and after RebootAfterFailingTicks failing ticks in a row the device is rebooted.
        /// </summary>
        public void Tick()
        {
            Exception fault = null;
            try
            {
                long now = _clock.UtcSeconds;
                if (!_aggregator.IsOpen) _aggregator.Begin(now);
                else if (_aggregator.IsDue(now) || now < _aggregator.WindowStart) CloseWindow(now);

                SampleSecond(now);
            }
            catch (Exception e)
            {
                fault = e;
            }
            try
            {
                Pump();
            }
            catch (Exception e)
            {
                if (fault == null) fault = e;
            }
            if (fault != null) TickFailed(fault);
            else if (FailingTicks > 0) TickRecovered();
        }

        /// <summary>
        /// Serves the network only (session, config, events, uplink, status) without sampling: Tick calls it, and a
        /// platform may call it more often to drain the journal faster or before a planned restart.
        /// </summary>
        public void Pump()
        {
            long now = _clock.UtcSeconds;
            long nowMs = _clock.MonotonicMs;
            _supervisor.Step();
            if (_supervisor.ClockChanged) QueueClockEvent(now);
            if (_supervisor.JustConnected && _claim.Unclaimed)
            {
                _claim.Connected(_hw.Inbox);
            }
            else if (_supervisor.JustConnected)
            {
                if (_hw.Inbox != null)
                {
                    _hw.Inbox.Subscribe(_topics.Config);
                    if (_ota != null) _hw.Inbox.Subscribe(_topics.Command);
                }
                _events.Resend();
                PublishStatus();
            }
            TakeMessages(now);

            int packetId;
            while (_mqtt.TryTakeAcknowledged(out packetId))
            {
                if (!_events.Acknowledge(packetId)) _router.Enqueue(packetId);
            }
            if (_claim.Unclaimed)
            {
                // The bootstrap account may only use the provisioning topics: records and events wait in flash and RAM.
                _claim.Step();
                return;
            }
            _events.Step(_mqtt, _topics.Event, nowMs, _options.AckTimeoutMs);
            _uplink.Step();
            if (_ota != null) _ota.Step(_mqtt.IsConnected, _uplink.EvidenceDelivered);

            if (_mqtt.IsConnected && nowMs >= _nextStatusMs) PublishStatus();
        }

        /// <summary>Marks this run as ended on purpose (before a commanded reboot or OTA): the next boot's first record is not flagged.</summary>
        public void Shutdown()
        {
            _bootLog.MarkCleanShutdown();
        }

        private void TickFailed(Exception fault)
        {
            FailingTicks++;
            FailedTicks++;
            if (FailingTicks == 1) QueueFaultEvent(false, fault);
            // A failure that lasts is not going away by itself (a wedged driver, a corrupted partition): start afresh.
            if (FailingTicks >= _options.RebootAfterFailingTicks && _hw.Reboot != null)
            {
                try
                {
                    _bootLog.MarkFaultReboot(); // so the next boot reports why it happened
                }
                catch (Exception)
                {
                    // The flash may be what is failing; the reboot matters more than its reason.
                }
                _hw.Reboot.Reboot();
            }
        }

        private void TickRecovered()
        {
            QueueFaultEvent(true, null);
            FailingTicks = 0;
        }

        private void CloseWindow(long now)
        {
            _aggregator.Close(_record, now);
            if (_powerInterrupted)
            {
                _record.Q |= QualityBits.PowerInterruption;
                _powerInterrupted = false;
            }
            _journal.Append(_record);
            RecordsWritten++;
        }

        private void SampleSecond(long now)
        {
            int q = _clock.IsSynchronized ? 0 : QualityBits.ClockUnsynced;
            if (_config.Active.Maintenance) q |= QualityBits.Maintenance;
            if (UptimeSeconds < _warmUpSeconds) q |= QualityBits.WarmUp;
            if (_tamper != null)
            {
                q |= _tamper.Poll();
                if (_tamper.Changed) QueueTamperEvent(now, _tamper.IsOpen);
            }

            string failure = ReadSensors();
            if (failure != null)
            {
                q |= QualityBits.SensorFault;
                _failedSeconds++;
                if (_failedSeconds == SensorFaultEventAfterSeconds && !_sensorFaultReported)
                {
                    _sensorFaultReported = true;
                    QueueSensorEvent(now, false, failure);
                }
            }
            else
            {
                _failedSeconds = 0;
                if (_sensorFaultReported)
                {
                    _sensorFaultReported = false;
                    QueueSensorEvent(now, true, null);
                }
            }
            _aggregator.Flag(q);
        }

        // Feeds this second's readings into the window; returns null when every sensor answered, else why not.
        private string ReadSensors()
        {
            string failure = null;
            if (_poller != null)
            {
                bool all = _poller.Poll();
                RegisterPoint[] points = _poller.Profile.Points;
                for (int i = 0; i < points.Length; i++)
                {
                    if (!_poller.Valid[i]) continue;
                    double v = _poller.Values[i];
                    // The transmitter gives one A-weighted level per second: it is that second's Leq and its fast maximum.
                    if (points[i].Channel == Channel.Laeq) _aggregator.AddNoiseSecond(v, v);
                    else _aggregator.AddValue(points[i].Channel, v);
                }
                if (!all) failure = StatusName(_poller.LastStatus);
            }
            else if (_particulate != null)
            {
                int frames = 0;
                int n;
                while ((n = _hw.ParticulateLink.Read(_uart, 0, _uart.Length, 0)) > 0) frames += _particulate.Push(_uart, 0, n);
                if (frames > 0)
                {
                    _particulateQuietSeconds = 0;
                    _aggregator.AddValue(Channel.Pm10, _particulate.Pm10Atmospheric);
                    _aggregator.AddValue(Channel.Pm25, _particulate.Pm25Atmospheric);
                }
                else if (++_particulateQuietSeconds >= ParticulateSilentAfterSeconds)
                {
                    failure = "silent";
                }
            }
            else
            {
                failure = "no sensor";
            }
            ReadOptionalMeters();

            if (_fan != null)
            {
                _fan.Measure();
                _aggregator.AddRunSecond(Channel.Fan, _fan.IsRunning, _fan.Amps);
                _purifier.Measure();
                _aggregator.AddRunSecond(Channel.Pur, _purifier.IsRunning, _purifier.Amps);
            }
            return failure;
        }

        // Optional meters give channels the site may lack (wire protocol: "optional"): a silent one is left out of the
        // record without a fault bit, and is tried again only after OptionalMeterRetryMs so that an absent sensor does
        // not spend each second's bus time on timeouts.
        private void ReadOptionalMeters()
        {
            if (_optionalPollers == null) return;
            long nowMs = _clock.MonotonicMs;
            for (int m = 0; m < _optionalPollers.Length; m++)
            {
                if (nowMs < _optionalNextPollMs[m]) continue;
                MeterPoller poller = _optionalPollers[m];
                if (!poller.Poll()) _optionalNextPollMs[m] = nowMs + OptionalMeterRetryMs;
                RegisterPoint[] points = poller.Profile.Points;
                for (int i = 0; i < points.Length; i++)
                {
                    if (poller.Valid[i]) _aggregator.AddValue(points[i].Channel, poller.Values[i]);
                }
            }
        }

        // (Re)creates the site's sensor chain from the active configuration; a new site kind starts a new window.
        private void BuildSite()
        {
            GatewayConfig c = _config.Active;
            if (_aggregator == null || c.Site != _site) _aggregator = new MinuteAggregator(c.ExpectedChannels);
            _site = c.Site;
            _poller = null;
            _optionalPollers = null;
            _particulate = null;
            _fan = null;
            _purifier = null;
            int profileWarmUp = 0;

            if (c.Site == SiteKind.Dust && _hw.ParticulateLink != null)
            {
                _particulate = new Pms5003Parser();
                _particulateQuietSeconds = 0;
                profileWarmUp = 30; // PMS5003: stable data 30 s after wake-up (datasheet)
            }
            else if (_hw.MeterLink != null)
            {
                MeterProfile profile = c.Site == SiteKind.Dust ? MeterProfiles.DustMonitor()
                    : c.Site == SiteKind.Fume ? MeterProfiles.FumeMonitor() : MeterProfiles.NoiseTransmitter();
                var master = new ModbusRtuMaster(_hw.MeterLink, _clock, c.MeterTimeoutMs, c.MeterRetries);
                _poller = new MeterPoller(master, profile, (byte)c.MeterSlave);
                profileWarmUp = profile.WarmUpSeconds;
            }
            if (c.Site == SiteKind.Dust && _hw.MeterLink != null)
            {
                // Wind speed and direction share the dust monitor's bus at their factory addresses (hardware/wiring.md).
                // One attempt each: they are optional, and the dust monitor's retries must keep their time.
                var once = new ModbusRtuMaster(_hw.MeterLink, _clock, c.MeterTimeoutMs, 0);
                MeterProfile speed = MeterProfiles.WindSpeedSensor();
                MeterProfile direction = MeterProfiles.WindDirectionSensor();
                _optionalPollers = new MeterPoller[]
                {
                    new MeterPoller(once, speed, speed.DefaultSlave), new MeterPoller(once, direction, direction.DefaultSlave)
                };
                _optionalNextPollMs = new long[_optionalPollers.Length];
            }
            if (c.Site == SiteKind.Fume && _hw.Adc != null)
            {
                _fan = new CurrentTransformerChannel(_hw.Adc, _options.FanAdcChannel, _options.CtSamplesPerBurst, c.Fan.AmpsPerCount, c.Fan.OnAmps, c.Fan.OffAmps);
                _purifier = new CurrentTransformerChannel(_hw.Adc, _options.PurifierAdcChannel, _options.CtSamplesPerBurst,
                    c.Purifier.AmpsPerCount, c.Purifier.OnAmps, c.Purifier.OffAmps);
            }
            _warmUpSeconds = _options.WarmUpSeconds >= 0 ? _options.WarmUpSeconds : profileWarmUp;
        }

        private void TakeMessages(long now)
        {
            if (_hw.Inbox == null) return;
            string topic;
            int length;
            while ((length = _hw.Inbox.TryTakeMessage(_configBuffer, out topic)) >= 0)
            {
                if (topic == _topics.ProvisioningCredentials)
                {
                    // Claimed: the new login is stored; log in with it (status, will, drain follow on the new session).
                    if (_claim.TakeCredentials(_configBuffer, length))
                    {
                        _supervisor.UseLogin(_claim.UserName, _claim.Password, true);
                        _uplink.UseEvidenceKey(_claim.EvidenceKey);
                        _supervisor.Reconnect();
                    }
                    continue;
                }
                if (topic == _topics.Command)
                {
                    // A cut command fails to parse and is refused in its ack.
                    if (_ota != null) _ota.HandleCommand(_configBuffer, 0, length < _configBuffer.Length ? length : _configBuffer.Length);
                    continue;
                }
                // An empty retained message means the fleet cleared the configuration: keep the one in force.
                if (topic != _topics.Config || length == 0) continue;
                JsonWriter w = _events.Begin();
                bool ok = _config.Apply(_configBuffer, 0, length, _options.DeviceId, now, w);
                if (ok && !_config.LastApplyChanged) continue; // the retained document again, after a reconnect
                _events.Commit();
                if (ok)
                {
                    BuildSite();
                    _nextStatusMs = 0; // report promptly with the new settings
                }
            }
        }

        private void PublishStatus()
        {
            TelemetryEncoder.WriteStatus(_statusWriter, _options.DeviceId, _options.Firmware, _bootLog.Boot, UptimeSeconds, Rssi, FreeHeapBytes,
                _clock.IsSynchronized, _journal.Pending);
            if (_statusWriter.Overflowed) return;
            if (_mqtt.Publish(_topics.Status, _statusWriter.Buffer, _statusWriter.Length, true) < 0) return;
            _nextStatusMs = _clock.MonotonicMs + 1000L * _config.Active.StatusIntervalSeconds;
        }

        /// <summary>Boot reason of a start after the fault policy rebooted the device.</summary>
        public const string FaultRebootReason = "fault_reboot";
        /// <summary>Boot reason the platform gives when it cannot tell (the options' default).</summary>
        public const string PowerOnReason = "power_on";

        private void QueueBootEvent()
        {
            JsonWriter w = _events.Begin();
            TelemetryEncoder.BeginEvent(w, _options.DeviceId, _clock.UtcSeconds, EventType.Boot);
            w.Name("reason");
            // The platform cannot tell a reset by the fault policy from a power-on; the boot log can.
            w.String(_bootLog.PreviousRunFaultReboot && _options.BootReason == PowerOnReason ? FaultRebootReason : _options.BootReason);
            w.Name("boot");
            w.Number(_bootLog.Boot);
            w.Name("clean");
            w.Bool(_bootLog.PreviousRunClean);
            w.Name("fw");
            w.String(_options.Firmware);
            w.Name("buffered");
            w.Number(_journal.Pending);
            w.Name("tamper");
            w.Bool(_tamper != null && _tamper.IsOpen);
            TelemetryEncoder.EndEvent(w);
            _events.Commit();
        }

        private void QueueTamperEvent(long now, bool open)
        {
            JsonWriter w = _events.Begin();
            TelemetryEncoder.BeginEvent(w, _options.DeviceId, now, EventType.Tamper);
            w.Name("open");
            w.Bool(open);
            TelemetryEncoder.EndEvent(w);
            _events.Commit();
        }

        private void QueueSensorEvent(long now, bool ok, string reason)
        {
            JsonWriter w = _events.Begin();
            TelemetryEncoder.BeginEvent(w, _options.DeviceId, now, EventType.SensorFault);
            w.Name("sensor");
            w.String(_particulate != null ? "pms5003" : _poller != null ? _poller.Profile.Model : "none");
            w.Name("ok");
            w.Bool(ok);
            if (reason != null)
            {
                w.Name("reason");
                w.String(reason);
            }
            TelemetryEncoder.EndEvent(w);
            _events.Commit();
        }

        private const int MaxFaultMessage = 64;

        private void QueueFaultEvent(bool ok, Exception fault)
        {
            try
            {
                JsonWriter w = _events.Begin();
                TelemetryEncoder.BeginEvent(w, _options.DeviceId, _clock.UtcSeconds, EventType.Fault);
                w.Name("ok");
                w.Bool(ok);
                if (fault != null)
                {
                    // The message, not the type's name: type names need reflection, which a device build may leave out.
                    string error = fault.Message;
                    if (error == null || error.Length == 0) error = "exception";
                    if (error.Length > MaxFaultMessage) error = error.Substring(0, MaxFaultMessage);
                    w.Name("error");
                    w.String(error);
                }
                w.Name("failing");
                w.Number(FailingTicks);
                w.Name("failed");
                w.Number(FailedTicks);
                TelemetryEncoder.EndEvent(w);
                _events.Commit();
            }
            catch (Exception)
            {
                // The report is best effort; the counters above still hold the truth.
            }
        }

        private void QueueClockEvent(long now)
        {
            JsonWriter w = _events.Begin();
            TelemetryEncoder.BeginEvent(w, _options.DeviceId, now, EventType.Clock);
            w.Name("synced");
            w.Bool(_clock.IsSynchronized);
            TelemetryEncoder.EndEvent(w);
            _events.Commit();
        }

        // Enum names without reflection (nanoFramework has none).
        private static string StatusName(ModbusStatus status)
        {
            switch (status)
            {
                case ModbusStatus.Ok: return "incomplete";
                case ModbusStatus.Timeout: return "timeout";
                case ModbusStatus.CrcError: return "crc_error";
                case ModbusStatus.WrongSlave: return "wrong_slave";
                case ModbusStatus.WrongFunction: return "wrong_function";
                case ModbusStatus.BadFrame: return "bad_frame";
                case ModbusStatus.SlaveException: return "slave_exception";
                default: return "invalid_request";
            }
        }

        // FNV-1a of the device id: a per-device reconnect jitter seed.
        private static uint Hash(string text)
        {
            uint h = 2166136261;
            for (int i = 0; i < text.Length; i++)
            {
                h ^= text[i];
                h *= 16777619;
            }
            return h;
        }
    }
}
