// Mirrors nanoframework/System.Device.Wifi at tag v1.5.149: System.Device.Wifi/WifiReconnectionKind.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Device.Wifi
{
    public enum WifiReconnectionKind
    {
        Automatic,
        Manual
    }
}
