namespace Iot.Contract.Onboarding
{
    /// <summary>
    /// The gateway's Wi-Fi setup hotspot as both the firmware and the factory's label know it: its name, derived from
    /// the device id, and what makes a hotspot password (the WPA2 passphrase "ap_password" in device.json, printed on
    /// the label). One spelling, so the label always names the network the gateway opens.
    /// </summary>
    public static class SetupHotspot
    {
        /// <summary>The hotspot's SSID is this prefix and the end of the device id.</summary>
        public const string SsidPrefix = "IOT-";
        /// <summary>Characters of the device id in the SSID.</summary>
        public const int SsidIdChars = 8;
        /// <summary>Shortest WPA2 passphrase.</summary>
        public const int MinPassword = 8;
        /// <summary>Longest WPA2 passphrase (64 characters would be a hex key).</summary>
        public const int MaxPassword = 63;

        /// <summary>The hotspot's SSID: "IOT-" and the last 8 characters of the device id ("IOT-NS-0001"), without leading dashes.</summary>
        public static string Ssid(string deviceId)
        {
            if (deviceId == null || deviceId.Length == 0) return SsidPrefix + "GATEWAY";
            string tail = deviceId.Length > SsidIdChars ? deviceId.Substring(deviceId.Length - SsidIdChars) : deviceId;
            while (tail.Length > 1 && tail[0] == '-') tail = tail.Substring(1);
            return SsidPrefix + tail;
        }

        /// <summary>A hotspot password the label can carry: 8 to 63 printable ASCII characters without spaces (WPA2-PSK).</summary>
        public static bool IsValidPassword(string password)
        {
            if (password == null || password.Length < MinPassword || password.Length > MaxPassword) return false;
            for (int i = 0; i < password.Length; i++)
            {
                if (password[i] <= 0x20 || password[i] > 0x7E) return false;
            }
            return true;
        }
    }
}
