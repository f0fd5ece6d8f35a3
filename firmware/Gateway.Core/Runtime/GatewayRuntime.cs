using System;
using Iot.Contract.Signing;
using Iot.Contract;
using Iot.Gateway.Configuration;
using Iot.Gateway.Hardware;
using Iot.Gateway.Journal;
using Iot.Gateway.Json;
using Iot.Gateway.Ota;
using Iot.Gateway.Provisioning;
using Iot.Gateway.Sensors;
using Iot.Gateway.Telemetry;
using Iot.Gateway.Uplink;

namespace Iot.Gateway.Runtime
{
    /// <summary>
    /// The gateway's main loop as a step function: the platform calls Tick once per second (the ESP32 app from
    /// its main thread, the virtual gateway from its scheduler). Each Tick reads the site's sensor components (composed
    /// by the platform's GatewayHardware.Sensors for the configuration in force) into the open minute, closes the
    /// minute at its boundary into the journal (with its quality bits), keeps the broker session up, drains the journal
    /// oldest first (records leave it only after PUBACK), sends events and the retained status, applies configuration
    /// from the retained config topic, and runs signed over-the-air updates from the cmd topic (Ota/OtaUpdater, when
    /// the platform provides the firmware slots). A factory-fresh gateway is first claimed over the provisioning topics
    /// (Provisioning/ClaimExchange): until then it only says hello and keeps journaling. After construction nothing
    /// allocates per Tick except on configuration changes.
    /// </summary>
    public sealed class GatewayRuntime
    {
        /// <summary>Consecutive failed seconds of a sensor after which its sensor_fault event is sent.</summary>
        public const int SensorFaultEventAfterSeconds = 3;
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
        private readonly MinuteRecord _record = new MinuteRecord();
        private readonly long _bootMs;

        private SiteKind _site;
        private MinuteAggregator _aggregator;
        // The components in service, and per component: set up yet, failed seconds in a row, sensor_fault sent.
        private ISensorComponent[] _sensors = new ISensorComponent[0];
        private bool[] _ready = new bool[0];
        private int[] _failedSeconds = new int[0];
        private bool[] _faultReported = new bool[0];
        private Exception _sensorError;
        private int _warmUpSeconds;
        private bool _powerInterrupted;
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
            int spread = options.LiveSpreadSeconds > 59 ? 59 : options.LiveSpreadSeconds;
            if (spread > 0) _uplink.SpreadLiveRecords((int)(Hash(options.DeviceId) % (uint)(spread + 1)));
            _uplink.SetFirmwareBoundary(_bootLog.FirmwareBoundarySeq, _bootLog.PreviousFirmware);
            _uplink.UseEvidenceKey(_claim.EvidenceKey);
            _events = new EventOutbox(options.EventCapacity, 256);
            if (hardware.Tamper != null) _tamper = new TamperMonitor(hardware.Tamper);
            if (hardware.Firmware != null && hardware.FirmwareDownload != null && hardware.OtaFlash != null && options.Ota != null && options.Ota.ReleaseKey != null)
            {
                _ota = new OtaUpdater(hardware.Firmware, hardware.FirmwareDownload, hardware.OtaFlash, _events, _mqtt, _clock, _topics, options.DeviceId, options.Ota);
            }

            ComposeSensors();
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
        /// failure of either half (a flash or driver error) or of a sensor component is counted and reported in a fault
        /// event, the rest still runs, and after RebootAfterFailingTicks failing ticks in a row the device is rebooted.
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
            if (fault == null) fault = _sensorError;
            _sensorError = null;
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

        /// <summary>Marks this run as ended on purpose (before a commanded reboot or OTA): the next boot's first record is not flagged; closes the sensors.</summary>
        public void Shutdown()
        {
            _bootLog.MarkCleanShutdown();
            CloseSensors();
            _sensorError = null; // the restart matters more than a sensor that would not close
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

            if (ReadSensors(now)) q |= QualityBits.SensorFault;
            _aggregator.Flag(q);
        }

        // Reads every component into the window; true when one failed its second. A component that throws has failed its
        // second and the others are still read; its exception then fails the tick (fault event, reboot policy).
        private bool ReadSensors(long now)
        {
            bool failed = false;
            for (int i = 0; i < _sensors.Length; i++)
            {
                string failure;
                try
                {
                    if (!_ready[i])
                    {
                        _sensors[i].Setup();
                        _ready[i] = true;
                    }
                    failure = _sensors[i].Read(_aggregator);
                }
                catch (Exception e)
                {
                    if (_sensorError == null) _sensorError = e;
                    failure = _ready[i] ? "read_failed" : "setup_failed";
                }
                if (failure != null) failed = true;
                TrackSensor(i, now, failure);
            }
            return failed;
        }

        // A sensor_fault event once a sensor has failed SensorFaultEventAfterSeconds in a row, and one when it answers again.
        private void TrackSensor(int i, long now, string failure)
        {
            if (failure != null)
            {
                _failedSeconds[i]++;
                if (_failedSeconds[i] == SensorFaultEventAfterSeconds && !_faultReported[i])
                {
                    _faultReported[i] = true;
                    QueueSensorEvent(now, _sensors[i].Name, false, failure);
                }
                return;
            }
            _failedSeconds[i] = 0;
            if (_faultReported[i])
            {
                _faultReported[i] = false;
                QueueSensorEvent(now, _sensors[i].Name, true, null);
            }
        }

        // (Re)composes the site's sensors for the active configuration; a new site kind starts a new window. A sensor
        // that stays (same name) keeps its fault state, so a new configuration neither repeats nor forgets its sensor_fault.
        private void ComposeSensors()
        {
            GatewayConfig c = _config.Active;
            ISensorComponent[] sensors = _hw.Sensors != null ? _hw.Sensors.Compose(c) : null;
            if (sensors == null || sensors.Length == 0) sensors = new ISensorComponent[] { new NoSensor() };
            CloseSensors();

            var failedSeconds = new int[sensors.Length];
            var faultReported = new bool[sensors.Length];
            int warmUp = 0;
            for (int i = 0; i < sensors.Length; i++)
            {
                if (sensors[i].WarmUpSeconds > warmUp) warmUp = sensors[i].WarmUpSeconds;
                for (int j = 0; j < _sensors.Length; j++)
                {
                    if (_sensors[j].Name != sensors[i].Name) continue;
                    failedSeconds[i] = _failedSeconds[j];
                    faultReported[i] = _faultReported[j];
                }
            }
            if (_aggregator == null || c.Site != _site) _aggregator = new MinuteAggregator(c.ExpectedChannels);
            _site = c.Site;
            _sensors = sensors;
            _ready = new bool[sensors.Length];
            _failedSeconds = failedSeconds;
            _faultReported = faultReported;
            _warmUpSeconds = _options.WarmUpSeconds >= 0 ? _options.WarmUpSeconds : warmUp;
        }

        // Closes the components that were set up; one that throws does not keep the others open.
        private void CloseSensors()
        {
            for (int i = 0; i < _sensors.Length; i++)
            {
                if (!_ready[i]) continue;
                _ready[i] = false;
                try
                {
                    _sensors[i].Close();
                }
                catch (Exception e)
                {
                    if (_sensorError == null) _sensorError = e;
                }
            }
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
                    ComposeSensors();
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
            // The platform cannot tell a reset by the fault policy from a power-on; the boot log can.
            string reason = _bootLog.PreviousRunFaultReboot && _options.BootReason == PowerOnReason ? FaultRebootReason : _options.BootReason;
            TelemetryEncoder.WriteBootEvent(_events.Begin(), _options.DeviceId, _clock.UtcSeconds, reason, _bootLog.Boot, _bootLog.PreviousRunClean,
                _options.Firmware, _journal.Pending, _tamper != null && _tamper.IsOpen);
            _events.Commit();
        }

        private void QueueTamperEvent(long now, bool open)
        {
            TelemetryEncoder.WriteTamperEvent(_events.Begin(), _options.DeviceId, now, open);
            _events.Commit();
        }

        private void QueueSensorEvent(long now, string sensor, bool ok, string reason)
        {
            TelemetryEncoder.WriteSensorFaultEvent(_events.Begin(), _options.DeviceId, now, sensor, ok, reason);
            _events.Commit();
        }

        private void QueueFaultEvent(bool ok, Exception fault)
        {
            try
            {
                // The message, not the type's name: type names need reflection, which a device build may leave out.
                string error = null;
                if (fault != null)
                {
                    error = fault.Message;
                    if (error == null || error.Length == 0) error = "exception";
                }
                TelemetryEncoder.WriteFaultEvent(_events.Begin(), _options.DeviceId, _clock.UtcSeconds, ok, error, FailingTicks, FailedTicks);
                _events.Commit();
            }
            catch (Exception)
            {
                // The report is best effort; the counters above still hold the truth.
            }
        }

        private void QueueClockEvent(long now)
        {
            TelemetryEncoder.WriteClockEvent(_events.Begin(), _options.DeviceId, now, _clock.IsSynchronized);
            _events.Commit();
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

        // Stands in for the sensors of a platform that composed none: every second fails, so the site's missing data
        // is reported in a sensor_fault rather than only in the records' quality bits.
        private sealed class NoSensor : ISensorComponent
        {
            public string Name { get { return "none"; } }

            public int WarmUpSeconds { get { return 0; } }

            public void Setup()
            {
            }

            public string Read(MinuteAggregator window)
            {
                return "no sensor";
            }

            public void Close()
            {
            }
        }
    }
}
