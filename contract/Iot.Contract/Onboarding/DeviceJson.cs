namespace Iot.Contract.Onboarding
{
    /// <summary>
    /// The keys of a gateway's device.json (I:\device.json on the ESP32), which the firmware reads at boot and the
    /// factory tool partly writes (id, bootstrap secret, hotspot password); the flashing station adds the rest.
    /// </summary>
    public static class DeviceJson
    {
        /// <summary>The file's name.</summary>
        public const string FileName = "device.json";
        /// <summary>Largest file the firmware reads, bytes.</summary>
        public const int MaxBytes = 1024;

        /// <summary>Device id, also the MQTT client id.</summary>
        public const string Id = "id";
        /// <summary>Bootstrap secret flashed at the factory: logs in as boot-{id} until claimed.</summary>
        public const string BootstrapSecret = "bootstrap_secret";
        /// <summary>WPA2 password of the setup hotspot, printed on the label.</summary>
        public const string HotspotPassword = "ap_password";
        /// <summary>Site Wi-Fi network (empty: the stored profile).</summary>
        public const string WifiSsid = "wifi_ssid";
        /// <summary>Site Wi-Fi password.</summary>
        public const string WifiPassword = "wifi_password";
        /// <summary>Broker host name or address (required).</summary>
        public const string Broker = "broker";
        /// <summary>Broker port.</summary>
        public const string Port = "port";
        /// <summary>TLS to the broker (true or false).</summary>
        public const string Tls = "tls";
        /// <summary>MQTT user name of a directly registered device.</summary>
        public const string User = "user";
        /// <summary>MQTT password of a directly registered device.</summary>
        public const string Password = "password";
        /// <summary>Evidence key of a directly registered device (64 hex digits).</summary>
        public const string EvidenceKey = "evidence_key";
        /// <summary>Site kind until the fleet's configuration arrives.</summary>
        public const string Site = "site";
        /// <summary>RS-485 baud rate.</summary>
        public const string MeterBaud = "meter_baud";
        /// <summary>First SNTP server.</summary>
        public const string Ntp1 = "ntp1";
        /// <summary>Second SNTP server.</summary>
        public const string Ntp2 = "ntp2";
        /// <summary>Ed25519 public key of the release key (64 hex digits).</summary>
        public const string ReleaseKey = "release_key";
    }
}
