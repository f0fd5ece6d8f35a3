// Written from nanoframework/System.Net v1.11.54 (the newest snapshot stored here; the pinned 1.11.60 is six package
// builds later and was not available to compare): nanoFramework.System.Net/Sockets/Socket.cs
// Stand-in: signatures as published upstream (the members the gateway uses), bodies are stubs (never executed).

namespace System.Net.Sockets
{
    public class Socket : IDisposable
    {
        public Socket(AddressFamily addressFamily, SocketType socketType, ProtocolType protocolType) { }
        public int Available { get { throw new NotImplementedException(); } }
        public int ReceiveTimeout { get { throw new NotImplementedException(); } set { } }
        public int SendTimeout { get { throw new NotImplementedException(); } set { } }
        public void Bind(EndPoint localEP) { }
        public void Connect(EndPoint remoteEP) { }
        public void Close() { }
        public void Listen(int backlog) { }
        public Socket Accept() { throw new NotImplementedException(); }
        public int Send(byte[] buffer) { throw new NotImplementedException(); }
        public int Send(byte[] buffer, int offset, int size, SocketFlags socketFlags) { throw new NotImplementedException(); }
        public int SendTo(byte[] buffer, int offset, int size, SocketFlags socketFlags, EndPoint remoteEP) { throw new NotImplementedException(); }
        public int Receive(byte[] buffer) { throw new NotImplementedException(); }
        public int Receive(byte[] buffer, int offset, int size, SocketFlags socketFlags) { throw new NotImplementedException(); }
        public int ReceiveFrom(byte[] buffer, int offset, int size, SocketFlags socketFlags, ref EndPoint remoteEP) { throw new NotImplementedException(); }
        public void SetSocketOption(SocketOptionLevel optionLevel, SocketOptionName optionName, bool optionValue) { }
        public bool Poll(int microSeconds, SelectMode mode) { throw new NotImplementedException(); }
        void IDisposable.Dispose() { }
    }
}
