// nanoFramework code without nullable annotations; tests/Iot.Provisioning.Tests compiles this file too, with them on.
#nullable disable
using System.IO;
using System;
using Iot.Contract.Signing;
using Iot.Contract;
using Iot.Contract.Onboarding;
using Iot.Gateway.Configuration;
using Iot.Gateway.Json;
using Iot.Gateway.Ota;

namespace Iot.Gateway.Esp32
{
    /// <summary>
    /// What one gateway must know before it can reach the fleet, written by the installer to the internal drive as
    /// I:\device.json (see README.md): <c>{"id":"NS-0001","wifi_ssid":"...","wifi_password":"...",
    /// "broker":"mqtt.example.cn","port":8883,"tls":true,"user":"NS-0001","password":"...","bootstrap_secret":"...","site":"noise",
    /// "meter_baud":9600,"ntp1":"ntp.aliyun.com","ntp2":"cn.pool.ntp.org","release_key":"<64 hex>","ap_password":"<label>"}</c>. Everything else comes from the
    /// fleet's retained configuration.
    /// </summary>
    public sealed class DeviceSettings
    {
        /// <summary>Where the installer puts the file.</summary>
        public const string DefaultPath = "I:\\device.json";

        private const int MaxFileBytes = DeviceJson.MaxBytes;

        /// <summary>Device id, also the MQTT client id.</summary>
        public string DeviceId;
        /// <summary>Wi-Fi network; empty: use the credentials already stored in the device's network configuration.</summary>
        public string WifiSsid = "";
        /// <summary>Wi-Fi password.</summary>
        public string WifiPassword = "";
        /// <summary>Broker host name or address.</summary>
        public string BrokerHost;
        /// <summary>Broker port (8883 with TLS).</summary>
        public int BrokerPort = 8883;
        /// <summary>TLS to the broker.</summary>
        public bool UseTls = true;
        /// <summary>MQTT user name of a directly registered device (its own credentials); null: claimed over the air.</summary>
        public string UserName;
        /// <summary>MQTT password.</summary>
        public string Password;
        /// <summary>Evidence key of a directly registered device (64 hex digits from POST /api/devices/{id}/evidence-key); null: none, or claimed over the air.</summary>
        public string EvidenceKey;
        /// <summary>Bootstrap secret flashed at the factory (from factory-list.csv): logs in as boot-{id} until claimed.</summary>
        public string BootstrapSecret;
        /// <summary>WPA2 password of the onboarding hotspot ("ap_password", printed on the device's label); null: no hotspot.</summary>
        public string HotspotPassword;
        /// <summary>Site kind until the fleet's configuration arrives.</summary>
        public SiteKind Site = SiteKind.Noise;
        /// <summary>Baud rate the RS-485 line is opened with.</summary>
        public int MeterBaud = 9600;
        /// <summary>First SNTP server (reachable from mainland China).</summary>
        public string NtpServer1 = "ntp.aliyun.com";
        /// <summary>Second SNTP server.</summary>
        public string NtpServer2 = "cn.pool.ntp.org";
        /// <summary>Ed25519 public key of the release key ("release_key", 64 hex digits); null: no over-the-air updates.</summary>
        public byte[] ReleaseKey;

        /// <summary>Reads and checks the file; returns null and a reason when it is missing or incomplete.</summary>
        public static DeviceSettings Load(string path, out string problem)
        {
            if (!File.Exists(path))
            {
                problem = path + " is missing";
                return null;
            }
            byte[] data = new byte[MaxFileBytes];
            int length = 0;
            using (var file = new FileStream(path, FileMode.Open))
            {
                int n;
                while (length < data.Length && (n = file.Read(data, length, data.Length - length)) > 0) length += n;
            }
            var settings = new DeviceSettings();
            problem = settings.Parse(data, length);
            return problem == null ? settings : null;
        }

        /// <summary>Parses a device.json document into this object; returns null or what is wrong.</summary>
        public string Parse(byte[] json, int count)
        {
            var r = new JsonReader(json, 0, count);
            if (r.Read() != JsonToken.BeginObject) return "device.json is not a JSON object";
            while (true)
            {
                JsonToken t = r.Read();
                if (t == JsonToken.EndObject) break;
                if (t != JsonToken.PropertyName) return "device.json is malformed";
                if (r.ValueEquals(DeviceJson.Id)) DeviceId = ReadString(r);
                else if (r.ValueEquals(DeviceJson.WifiSsid)) WifiSsid = ReadString(r);
                else if (r.ValueEquals(DeviceJson.WifiPassword)) WifiPassword = ReadString(r);
                else if (r.ValueEquals(DeviceJson.Broker)) BrokerHost = ReadString(r);
                else if (r.ValueEquals(DeviceJson.User)) UserName = ReadString(r);
                else if (r.ValueEquals(DeviceJson.Password)) Password = ReadString(r);
                else if (r.ValueEquals(DeviceJson.EvidenceKey)) EvidenceKey = ReadString(r);
                else if (r.ValueEquals(DeviceJson.BootstrapSecret)) BootstrapSecret = ReadString(r);
                else if (r.ValueEquals(DeviceJson.HotspotPassword)) HotspotPassword = ReadString(r);
                else if (r.ValueEquals(DeviceJson.Ntp1)) NtpServer1 = ReadString(r);
                else if (r.ValueEquals(DeviceJson.Ntp2)) NtpServer2 = ReadString(r);
                else if (r.ValueEquals(DeviceJson.ReleaseKey))
                {
                    ReleaseKey = new byte[32];
                    if (!ReleaseManifest.TryDecodeHex(ReadString(r), ReleaseKey)) return "release_key must be 64 hex digits";
                }
                else if (r.ValueEquals(DeviceJson.Port)) BrokerPort = ReadInt(r, BrokerPort);
                else if (r.ValueEquals(DeviceJson.MeterBaud)) MeterBaud = ReadInt(r, MeterBaud);
                else if (r.ValueEquals(DeviceJson.Tls))
                {
                    JsonToken b = r.Read();
                    if (b != JsonToken.True && b != JsonToken.False) return "tls must be true or false";
                    UseTls = b == JsonToken.True;
                }
                else if (r.ValueEquals(DeviceJson.Site))
                {
                    if (r.Read() != JsonToken.String) return "site must be a string";
                    SiteKind site;
                    if (!SiteKindReader.TryRead(r, out site)) return "unknown site kind";
                    Site = site;
                }
                else
                {
                    r.Read();
                    if (!r.SkipValue()) return "device.json is malformed";
                }
            }
            if (DeviceId == null || DeviceId.Length == 0) return "id is missing";
            if (BrokerHost == null || BrokerHost.Length == 0) return "broker is missing";
            if (BrokerPort < 1 || BrokerPort > 65535) return "port is out of range";
            if (MeterBaud < 1200 || MeterBaud > 115200) return "meter_baud is out of range";
            return null;
        }

        private static string ReadString(JsonReader r)
        {
            return r.Read() == JsonToken.String ? r.GetString() : null;
        }

        private static int ReadInt(JsonReader r, int fallback)
        {
            return r.Read() == JsonToken.Number ? (int)r.NumberValue : fallback;
        }
    }
}
