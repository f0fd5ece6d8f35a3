// Mirrors nanoframework/System.Net at tag v1.11.60: nanoFramework.System.Net/NetworkHelper/NetworkHelperStatus.cs
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
