using Iot.Gateway.Configuration;
using Iot.Gateway.Hardware;
using Iot.Gateway.Journal;
using Iot.Gateway.Ota;
using Iot.Gateway.Sensors;

namespace Iot.Gateway.Runtime
{
    /// <summary>
    /// The device's hardware as the runtime needs it; the ESP32 app and the virtual gateway fill it with their
    /// own adapters. Optional parts may stay null.
    /// </summary>
    public sealed class GatewayHardware
    {
        /// <summary>Wall clock and monotonic counter. Required.</summary>
        public IClock Clock;
        /// <summary>Broker session. Required.</summary>
        public IMqttLink Mqtt;
        /// <summary>Messages from the broker (the retained configuration); null: no remote configuration.</summary>
        public IMqttInbox Inbox;
        /// <summary>Files of the record journal (its segments and delivery position). Required.</summary>
        public IFileStore JournalFiles;
        /// <summary>Configuration partition (two sectors). Required.</summary>
        public IFlashStore ConfigFlash;
        /// <summary>Boot counter partition (two sectors). Required.</summary>
        public IFlashStore BootFlash;
        /// <summary>The own broker login received when the device was claimed (two sectors); null: kept in RAM only.</summary>
        public IFlashStore CredentialFlash;
        /// <summary>
        /// The site's sensors for each configuration (Sensors/BoardSensors on the gateway board); null: none, and every
        /// record is flagged with a sensor fault.
        /// </summary>
        public ISensorComposition Sensors;
        /// <summary>Enclosure tamper switch.</summary>
        public IDigitalInput Tamper;
        /// <summary>Firmware images (running, previous, staging); with FirmwareDownload, OtaFlash and a release key: updates are on.</summary>
        public IFirmwareSlots Firmware;
        /// <summary>Ranged HTTP reads of firmware bundles.</summary>
        public IFirmwareDownload FirmwareDownload;
        /// <summary>Update job partition (two sectors).</summary>
        public IFlashStore OtaFlash;
        /// <summary>Restarts the device after RebootAfterFailingTicks failing ticks in a row; null: failures are only counted.</summary>
        public IReboot Reboot;
    }

    /// <summary>Settings fixed at build or boot time (the fleet's configuration covers the rest).</summary>
    public sealed class GatewayRuntimeOptions
    {
        /// <summary>Device id = MQTT client id. Required.</summary>
        public string DeviceId;
        /// <summary>MQTT user name of a directly registered device (its own account); null: claimed, bootstrap or anonymous.</summary>
        public string UserName;
        /// <summary>MQTT password that goes with UserName.</summary>
        public string Password;
        /// <summary>
        /// Evidence key that goes with UserName and Password, 64 hex digits (a directly registered device gets it from
        /// POST /api/devices/{id}/evidence-key); null: none. A claimed device receives its key with its credentials.
        /// </summary>
        public string EvidenceKey;
        /// <summary>Bootstrap secret from the factory: without other credentials the device logs in as boot-{id} to be claimed.</summary>
        public string BootstrapSecret;
        /// <summary>Firmware version reported in envelopes and status.</summary>
        public string Firmware = "0.0.0";
        /// <summary>Why the device started (power_on, watchdog, software, ota...), sent in the boot event.</summary>
        public string BootReason = GatewayRuntime.PowerOnReason;
        /// <summary>Site kind until the fleet's configuration arrives (and when none is stored).</summary>
        public SiteKind DefaultSite = SiteKind.Noise;
        /// <summary>Seconds after boot during which records carry the warm-up bit; -1: the slowest sensor's own.</summary>
        public int WarmUpSeconds = -1;
        /// <summary>Most records per envelope (RAM bound on the device).</summary>
        public int UplinkBatch = 20;
        /// <summary>Envelope buffer in bytes.</summary>
        public int EnvelopeBytes = 4096;
        /// <summary>How long to wait for a PUBACK before sending the same records or event again.</summary>
        public int AckTimeoutMs = 30000;
        /// <summary>First reconnect delay.</summary>
        public int ReconnectBaseMs = 2000;
        /// <summary>Longest reconnect delay.</summary>
        public int ReconnectCapMs = 300000;
        /// <summary>A fresh minute is published up to this many seconds after it closed, at an offset of the device's own
        /// (from its id), so a fleet does not publish in one second (TelemetryUplink.SpreadLiveRecords); 0 publishes at once.</summary>
        public int LiveSpreadSeconds;
        /// <summary>Connect to the broker on a worker thread (a device's blocking MQTT client); false: inside Tick (the virtual gateway's).</summary>
        public bool ConnectInBackground;
        /// <summary>Journal segments of RecordJournal.DefaultSegmentBytes (the ESP32's 128 hold over 72 hours of any site kind).</summary>
        public int JournalSegments = RecordJournal.DefaultSegments;
        /// <summary>Events kept while offline.</summary>
        public int EventCapacity = 16;
        /// <summary>Ticks in a row that may fail (throw) before the runtime reboots the device through GatewayHardware.Reboot.</summary>
        public int RebootAfterFailingTicks = 60;
        /// <summary>Over-the-air updates (off until Ota.ReleaseKey is set and the firmware hardware is given).</summary>
        public OtaSettings Ota = new OtaSettings();
    }
}
