using System.Device.Wifi;
using System.Threading;
using Iot.Gateway.Hardware;
using nanoFramework.Networking;

namespace Iot.Gateway.Esp32.Adapters
{
    /// <summary>IWifiStation over nanoFramework's WifiNetworkHelper (DHCP; credentials kept in the device's network configuration).</summary>
    public sealed class WifiStation : IWifiStation
    {
        /// <inheritdoc />
        public bool IsConnected
        {
            get { return WifiNetworkHelper.Status == NetworkHelperStatus.NetworkIsReady; }
        }

        /// <inheritdoc />
        public bool Join(string ssid, string password, int timeoutMs)
        {
            var timeout = new CancellationTokenSource(timeoutMs);
            // Automatic: the firmware reconnects by itself after an outage, as with the settings from device.json.
            return WifiNetworkHelper.ConnectDhcp(ssid, password, WifiReconnectionKind.Automatic, false, 0, timeout.Token);
        }
    }
}
