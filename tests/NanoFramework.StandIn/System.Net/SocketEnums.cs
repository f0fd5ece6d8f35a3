// Written from nanoframework/System.Net v1.11.54 (the newest snapshot stored here; the pinned 1.11.60 is six package
// builds later and was not available to compare): nanoFramework.System.Net/Sockets/AddressFamily.cs, SocketType.cs, ProtocolType.cs,
// SelectMode.cs, SocketFlags.cs, SocketOptionLevel.cs, SocketOptionName.cs (the values the gateway uses, with upstream's numbers)
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Net.Sockets
{
    public enum AddressFamily
    {
        Unknown = -1,
        Unspecified = 0,
        InterNetwork = 2,
        InterNetworkV6 = 23
    }

    public enum SocketType
    {
        Stream = 1,
        Dgram = 2,
        Unknown = -1
    }

    public enum ProtocolType
    {
        IP = 0,
        Tcp = 6,
        Udp = 17,
        Unknown = -1
    }

    public enum SelectMode
    {
        SelectRead = 0,
        SelectWrite = 1,
        SelectError = 2
    }

    [Flags]
    public enum SocketFlags
    {
        None = 0x0000,
        Peek = 0x0002,
        Broadcast = 0x0400
    }

    public enum SocketOptionLevel
    {
        Socket = 0xffff,
        IP = ProtocolType.IP,
        Tcp = ProtocolType.Tcp,
        Udp = ProtocolType.Udp
    }

    public enum SocketOptionName
    {
        ReuseAddress = 0x0004,
        Broadcast = 0x0020,
        Linger = 0x0080
    }
}
