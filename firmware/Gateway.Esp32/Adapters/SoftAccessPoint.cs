using System.Net.NetworkInformation;

namespace Iot.Gateway.Esp32.Adapters
{
    /// <summary>
    /// The ESP32's soft-AP as nanoFramework configures it: a WirelessAPConfiguration saved in the device's network
    /// configuration. The image starts the Wi-Fi stack from the saved configuration (station, AP, or both: nf-interpreter
    /// targets/ESP32/_Network/NF_ESP32_Wireless.cpp, NF_ESP32_CheckExpectedWifiMode), so a change takes effect at the
    /// next boot, which is how nanoFramework's WiFiAP sample applies it too (it reboots after saving). With both enabled
    /// the ESP32 runs station and AP at once (APSTA): the page can try the site's network while the phone stays on the
    /// hotspot. The image does not start ESP-IDF's DHCP server for the AP; OnboardingServer answers DHCP itself.
    /// </summary>
    public static class SoftAccessPoint
    {
        /// <summary>The hotspot's address (and the gateway's in its /24).</summary>
        public const string Address = "192.168.4.1";

        /// <summary>The hotspot's address as bytes.</summary>
        public static readonly byte[] AddressBytes = new byte[] { 192, 168, 4, 1 };

        /// <summary>The hotspot's subnet mask.</summary>
        public const string SubnetMask = "255.255.255.0";

        /// <summary>Phones at once: the installer's and a spare (each reserves memory in the Wi-Fi driver).</summary>
        public const byte MaxStations = 2;

        /// <summary>True when the saved configuration enables the hotspot (it is running since boot).</summary>
        public static bool IsEnabled()
        {
            try
            {
                WirelessAPConfiguration ap = Configuration();
                return ap != null && (ap.Options & WirelessAPConfiguration.ConfigurationOptions.Enable) != 0;
            }
            catch (System.Exception)
            {
                return false; // no readable AP configuration: no hotspot
            }
        }

        /// <summary>True when the device's network configuration holds a Wi-Fi network to join.</summary>
        public static bool StationConfigured()
        {
            try
            {
                Wireless80211Configuration station = StationConfiguration();
                return station != null && station.Ssid != null && station.Ssid.Length > 0;
            }
            catch (System.Exception)
            {
                return false;
            }
        }

        /// <summary>
        /// Saves the hotspot enabled (WPA2 with password, the static address); it starts at the next boot. The station
        /// is saved enabled too, so the image starts both (APSTA) and the page's join needs no change of Wi-Fi mode:
        /// the image starts the station only when its configuration says Enable, and WifiNetworkHelper.ConnectDhcp
        /// saves the network but not that option (nanoFramework's WiFiAP sample sets it before joining for this reason).
        /// </summary>
        public static void Enable(string ssid, string password)
        {
            NetworkInterface ni = Interface(NetworkInterfaceType.WirelessAP);
            WirelessAPConfiguration ap = Configuration();
            if (ni == null || ap == null) throw new System.InvalidOperationException("this image has no Wi-Fi AP interface");
            Wireless80211Configuration station = StationConfiguration();
            if (station != null && (station.Options & Wireless80211Configuration.ConfigurationOptions.AutoConnect) != Wireless80211Configuration.ConfigurationOptions.AutoConnect)
            {
                station.Options = Wireless80211Configuration.ConfigurationOptions.AutoConnect;
                station.SaveConfiguration();
            }
            ni.EnableStaticIPv4(Address, SubnetMask, Address);
            ap.Options = WirelessAPConfiguration.ConfigurationOptions.AutoStart | WirelessAPConfiguration.ConfigurationOptions.Enable;
            ap.Ssid = ssid;
            ap.Password = password;
            ap.Authentication = AuthenticationType.WPA2;
            ap.MaxConnections = MaxStations;
            ap.SaveConfiguration();
        }

        /// <summary>Saves the hotspot disabled; it is gone after the next boot.</summary>
        public static void Disable()
        {
            WirelessAPConfiguration ap = Configuration();
            if (ap == null) return;
            ap.Options = WirelessAPConfiguration.ConfigurationOptions.None;
            ap.SaveConfiguration();
        }

        private static WirelessAPConfiguration Configuration()
        {
            NetworkInterface ni = Interface(NetworkInterfaceType.WirelessAP);
            if (ni == null) return null;
            WirelessAPConfiguration[] all = WirelessAPConfiguration.GetAllWirelessAPConfigurations();
            return ni.SpecificConfigId < all.Length ? all[ni.SpecificConfigId] : null;
        }

        private static Wireless80211Configuration StationConfiguration()
        {
            NetworkInterface ni = Interface(NetworkInterfaceType.Wireless80211);
            if (ni == null) return null;
            Wireless80211Configuration[] all = Wireless80211Configuration.GetAllWireless80211Configurations();
            return ni.SpecificConfigId < all.Length ? all[ni.SpecificConfigId] : null;
        }

        private static NetworkInterface Interface(NetworkInterfaceType type)
        {
            NetworkInterface[] all = NetworkInterface.GetAllNetworkInterfaces();
            for (int i = 0; i < all.Length; i++)
            {
                if (all[i].NetworkInterfaceType == type) return all[i];
            }
            return null;
        }
    }
}
