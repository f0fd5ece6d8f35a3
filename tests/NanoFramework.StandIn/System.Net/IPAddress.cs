// Written from nanoframework/System.Net v1.11.54 (the newest snapshot stored here; the pinned 1.11.60 is six package
// builds later and was not available to compare): nanoFramework.System.Net/IPAddress.cs, EndPoint.cs, IPEndPoint.cs
// Stand-in: signatures as published upstream (the members the gateway uses), bodies are stubs (never executed).

namespace System.Net
{
    using System.Net.Sockets;

    public class IPAddress
    {
        public static readonly IPAddress Any = new IPAddress(new byte[] { 0, 0, 0, 0 });
        public static readonly IPAddress Broadcast = new IPAddress(new byte[] { 255, 255, 255, 255 });
        public IPAddress(long newAddress) { }
        public IPAddress(byte[] address) { }
        public AddressFamily AddressFamily { get { throw new NotImplementedException(); } }
        public byte[] GetAddressBytes() { throw new NotImplementedException(); }
        public static IPAddress Parse(string ipString) { throw new NotImplementedException(); }
        public override string ToString() { throw new NotImplementedException(); }
    }

    public abstract class EndPoint
    {
    }

    public class IPEndPoint : EndPoint
    {
        public IPEndPoint(long address, int port) { }
        public IPEndPoint(IPAddress address, int port) { }
        public IPAddress Address { get { throw new NotImplementedException(); } }
        public int Port { get { throw new NotImplementedException(); } }
    }
}
