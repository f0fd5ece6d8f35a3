// Mirrors nanoframework/System.Net: nanoFramework.System.Net/NetworkHelper/NetworkHelperStatus.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace nanoFramework.Networking
{
    public enum NetworkHelperStatus
    {
        None,
        Started,
        NetworkIsReady,
        FailedNoNetworkInterface,
        TokenExpiredWaitingIPAddress,
        TokenExpiredWaitingDateTime,
        ErrorConnetingToWiFiWhileScanning,
        Reconnecting,
        ExceptionOccurred
    }
}
