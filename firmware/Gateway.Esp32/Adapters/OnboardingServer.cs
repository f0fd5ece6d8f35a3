using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using Iot.Gateway.Hardware;
using Iot.Gateway.Onboarding;

namespace Iot.Gateway.Esp32.Adapters
{
    /// <summary>
    /// The sockets of the onboarding hotspot, on a thread of their own so the main loop keeps its one-second rhythm:
    /// DHCP (UDP 67, answered by <see cref="DhcpResponder"/> to the broadcast address, port 68), DNS (UDP 53,
    /// <see cref="DnsResponder"/>) and the page (TCP 80, one connection at a time, read by <see cref="HttpRequestReader"/>
    /// and answered by <see cref="CaptivePortal"/>). All protocol logic is in the core; this only moves bytes. A client
    /// that has not sent its whole request within <see cref="RequestTimeoutMs"/> gets 408 and is closed.
    /// </summary>
    public sealed class OnboardingServer
    {
        /// <summary>How long one HTTP request may take to arrive.</summary>
        public const int RequestTimeoutMs = 5000;

        private const int PollMicroseconds = 50000; // 50 ms per socket and round
        private const int DhcpServerPort = 67;
        private const int DhcpClientPort = 68;
        private const int DnsPort = 53;
        private const int HttpPort = 80;

        private readonly CaptivePortal _portal;
        private readonly DnsResponder _dns;
        private readonly DhcpResponder _dhcp;
        private readonly IClock _clock;
        private readonly HttpRequestReader _request = new HttpRequestReader();
        private readonly byte[] _packet = new byte[DhcpResponder.MaxMessageBytes];
        private readonly byte[] _answer = new byte[DhcpResponder.MaxMessageBytes];
        private readonly byte[] _received = new byte[512];
        private Thread _thread;
        private bool _running;

        /// <summary>Serves portal, dns and dhcp on the hotspot's interface.</summary>
        public OnboardingServer(CaptivePortal portal, DnsResponder dns, DhcpResponder dhcp, IClock clock)
        {
            _portal = portal;
            _dns = dns;
            _dhcp = dhcp;
            _clock = clock;
        }

        /// <summary>Starts the sockets' thread.</summary>
        public void Start()
        {
            _running = true;
            _thread = new Thread(Run);
            _thread.Start();
        }

        /// <summary>Asks the thread to close its sockets and end.</summary>
        public void Stop()
        {
            _running = false;
        }

        private void Run()
        {
            Socket dhcpIn = null;
            Socket dhcpOut = null;
            Socket dns = null;
            Socket http = null;
            try
            {
                // As nanoFramework's DhcpServer (Iot.Device.DhcpServer) does on the ESP32: receive on the broadcast
                // address, send from the hotspot's address with broadcast allowed.
                dhcpIn = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                dhcpIn.Bind(new IPEndPoint(IPAddress.Broadcast, DhcpServerPort));
                dhcpOut = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                dhcpOut.Bind(new IPEndPoint(new IPAddress(SoftAccessPoint.AddressBytes), 0));
                dhcpOut.SetSocketOption(SocketOptionLevel.Udp, SocketOptionName.Broadcast, true);
                dhcpOut.Connect(new IPEndPoint(IPAddress.Broadcast, DhcpClientPort));

                dns = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                dns.Bind(new IPEndPoint(IPAddress.Any, DnsPort));

                http = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                http.Bind(new IPEndPoint(IPAddress.Any, HttpPort));
                http.Listen(2);
            }
            catch (Exception e)
            {
                Debug.WriteLine("hotspot: sockets did not open: " + e.Message);
                Close(dhcpIn);
                Close(dhcpOut);
                Close(dns);
                Close(http);
                return;
            }

            while (_running)
            {
                try
                {
                    if (dhcpIn.Poll(PollMicroseconds, SelectMode.SelectRead))
                    {
                        int n = dhcpIn.Receive(_packet, 0, _packet.Length, SocketFlags.None);
                        int reply = _dhcp.Answer(_packet, n, _answer);
                        if (reply > 0) dhcpOut.Send(_answer, 0, reply, SocketFlags.None);
                    }
                    if (dns.Poll(PollMicroseconds, SelectMode.SelectRead))
                    {
                        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                        int n = dns.ReceiveFrom(_packet, 0, DnsResponder.MaxMessageBytes, SocketFlags.None, ref from);
                        int reply = _dns.Answer(_packet, n, _answer);
                        if (reply > 0) dns.SendTo(_answer, 0, reply, SocketFlags.None, from);
                    }
                    if (http.Poll(PollMicroseconds, SelectMode.SelectRead)) Serve(http.Accept());
                }
                catch (Exception e)
                {
                    Debug.WriteLine("hotspot: " + e.Message);
                    Thread.Sleep(100);
                }
            }
            Close(dhcpIn);
            Close(dhcpOut);
            Close(dns);
            Close(http);
        }

        private void Serve(Socket client)
        {
            try
            {
                _request.Reset();
                client.ReceiveTimeout = RequestTimeoutMs;
                long deadline = _clock.MonotonicMs + RequestTimeoutMs;
                bool timedOut = false;
                while (_request.State == HttpRequestReader.NeedMore)
                {
                    if (_clock.MonotonicMs > deadline)
                    {
                        timedOut = true;
                        break;
                    }
                    if (!client.Poll(PollMicroseconds * 4, SelectMode.SelectRead)) continue;
                    int n = client.Receive(_received, 0, _received.Length, SocketFlags.None);
                    if (n <= 0) _request.EndOfStream();
                    else _request.Push(_received, 0, n);
                }
                byte[] response = timedOut ? _portal.Timeout() : _portal.Respond(_request, _clock.MonotonicMs);
                client.Send(response, 0, response.Length, SocketFlags.None);
            }
            finally
            {
                Close(client);
            }
        }

        private static void Close(Socket socket)
        {
            if (socket == null) return;
            try
            {
                socket.Close();
            }
            catch (Exception)
            {
                // already gone
            }
        }
    }
}
