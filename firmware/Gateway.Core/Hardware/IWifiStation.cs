namespace Iot.Gateway.Hardware
{
    /// <summary>The device's Wi-Fi station interface, as Wi-Fi onboarding (Provisioning/ImprovSerial) needs it.</summary>
    public interface IWifiStation
    {
        /// <summary>True while joined to a network with an IP address.</summary>
        bool IsConnected { get; }

        /// <summary>Joins ssid with password (empty: an open network), waiting at most timeoutMs; on success the
        /// credentials are kept for later boots. True when joined with an IP address.</summary>
        bool Join(string ssid, string password, int timeoutMs);
    }
}
