using System.Net;
using System.Net.Sockets;

namespace Iot.Stack;

/// <summary>Finds loopback TCP ports for the servers this project starts.</summary>
public static class LocalPort
{
    /// <summary>A port that was free a moment ago; the caller retries if a server loses the race.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The preferred port if nothing listens on it, otherwise a free one.</summary>
    public static int PreferredOrFree(int preferred)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, preferred);
            listener.Start();
            return preferred;
        }
        catch (SocketException)
        {
            return Free();
        }
    }

    /// <summary>True once something accepts TCP connections on the port.</summary>
    public static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
