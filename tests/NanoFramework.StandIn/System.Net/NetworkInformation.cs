// Written from nanoframework/System.Net v1.11.54 (the newest snapshot stored here; the pinned 1.11.60 is six package
// builds later and was not available to compare): nanoFramework.System.Net/NetworkInformation/NetworkInterface.cs, NetworkInterfaceType.cs,
// AuthenticationType.cs, WirelessAPConfiguration.cs, Wireless80211Configuration.cs
// Stand-in: signatures as published upstream (the members the gateway uses), bodies are stubs (never executed).

namespace System.Net.NetworkInformation
{
    public class NetworkInterface
    {
        public static NetworkInterface[] GetAllNetworkInterfaces() { throw new NotImplementedException(); }
        public void EnableStaticIPv4(string ipv4Address, string ipv4SubnetMask, string ipv4GatewayAddress) { }
        public string IPv4Address { get { throw new NotImplementedException(); } }
        public NetworkInterfaceType NetworkInterfaceType { get { throw new NotImplementedException(); } }
        public uint SpecificConfigId { get { throw new NotImplementedException(); } set { } }
    }

    public enum NetworkInterfaceType
    {
        Unknown = 1,
        Ethernet = 6,
        Wireless80211 = 71,
        WirelessAP = 72
    }

    public enum AuthenticationType : byte
    {
        None = 0,
        EAP,
        PEAP,
        WCN,
        Open,
        Shared,
        WEP,
        WPA,
        WPA2
    }

    public class WirelessAPConfiguration
    {
        public WirelessAPConfiguration(uint id) { }
        public AuthenticationType Authentication { get { throw new NotImplementedException(); } set { } }
        public string Password { get { throw new NotImplementedException(); } set { } }
        public string Ssid { get { throw new NotImplementedException(); } set { } }
        public ConfigurationOptions Options { get { throw new NotImplementedException(); } set { } }
        public byte Channel { get { throw new NotImplementedException(); } set { } }
        public byte MaxConnections { get { throw new NotImplementedException(); } set { } }
        public void SaveConfiguration() { }
        public static WirelessAPConfiguration[] GetAllWirelessAPConfigurations() { throw new NotImplementedException(); }

        [Flags]
        public enum ConfigurationOptions : byte
        {
            None = 0,
            Disable = 0x01,
            Enable = 0x02,
            AutoStart = 0x04 | Enable,
            HiddenSSID = 0x08
        }
    }

    public class Wireless80211Configuration
    {
        public Wireless80211Configuration(uint id) { }
        public ConfigurationOptions Options { get { throw new NotImplementedException(); } set { } }
        public string Password { get { throw new NotImplementedException(); } set { } }
        public string Ssid { get { throw new NotImplementedException(); } set { } }
        public void SaveConfiguration() { }
        public static Wireless80211Configuration[] GetAllWireless80211Configurations() { throw new NotImplementedException(); }

        [Flags]
        public enum ConfigurationOptions : byte
        {
            None = 0,
            Disable = 0x01,
            Enable = 0x02,
            AutoConnect = 0x04 | Enable,
            SmartConfig = 0x08 | Enable
        }
    }
}
