// Mirrors nanoframework/System.Device.Wifi at tag v1.5.149: System.Device.Wifi/NetworkHelper/WifiNetworkHelper.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace nanoFramework.Networking
{
    using System;
    using System.Device.Wifi;
    using System.Threading;

    public static class WifiNetworkHelper
    {
        public static NetworkHelperStatus Status { get { throw new NotImplementedException(); } }
        public static Exception HelperException { get { throw new NotImplementedException(); } }

        /// <summary>Connects with DHCP and stores the credentials in the device's Wi-Fi configuration.</summary>
        public static bool ConnectDhcp(
            string ssid,
            string password,
            WifiReconnectionKind reconnectionKind = WifiReconnectionKind.Automatic,
            bool requiresDateTime = false,
            int wifiAdapterId = 0,
            CancellationToken token = default)
        {
            throw new NotImplementedException();
        }

        /// <summary>Connects with the credentials already stored on the device.</summary>
        public static bool Reconnect(bool requiresDateTime = false, int wifiAdapterId = 0, CancellationToken token = default)
        {
            throw new NotImplementedException();
        }
    }
}
