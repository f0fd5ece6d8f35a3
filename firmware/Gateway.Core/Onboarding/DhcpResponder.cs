namespace Iot.Gateway.Onboarding
{
    /// <summary>
    /// The onboarding hotspot's DHCP server (RFC 2131/2132; nanoFramework's ESP32 image starts the soft-AP without
    /// ESP-IDF's DHCP server and leaves it to managed code). It leases the few addresses after the gateway's own in its
    /// /24 to the phones that join (one per hardware address), and names the gateway as their router and DNS server
    /// and, in option 114 (RFC 8910), as the captive portal, so Android 11+ and iOS 14+ open the page by themselves.
    /// DISCOVER gets an OFFER, REQUEST an ACK (or a NAK for an address it did not offer), INFORM an ACK, RELEASE frees
    /// the lease; anything else, and every malformed packet, is dropped without an answer.
    /// </summary>
    public sealed class DhcpResponder
    {
        /// <summary>Smallest BOOTP message: fixed fields (236) and the magic cookie.</summary>
        public const int MinMessageBytes = 240;
        /// <summary>Largest request read; every reply fits in it.</summary>
        public const int MaxMessageBytes = 576;
        /// <summary>Lease time offered: the session is minutes, the lease an hour.</summary>
        public const int LeaseSeconds = 3600;

        /// <summary>Message type DISCOVER.</summary>
        public const byte Discover = 1;
        /// <summary>Message type OFFER.</summary>
        public const byte Offer = 2;
        /// <summary>Message type REQUEST.</summary>
        public const byte Request = 3;
        /// <summary>Message type ACK.</summary>
        public const byte Ack = 5;
        /// <summary>Message type NAK.</summary>
        public const byte Nak = 6;
        /// <summary>Message type RELEASE.</summary>
        public const byte Release = 7;
        /// <summary>Message type INFORM.</summary>
        public const byte Inform = 8;

        private const int ReplyMinBytes = 300; // BOOTP's minimum, which some clients insist on
        private const int OptionsAt = 240;

        private readonly byte[] _server;
        private readonly byte[] _portalUrl;
        private readonly byte[] _leases; // 6 bytes of hardware address per pool slot; all zero = free
        private readonly int _pool;

        /// <summary>Serves server (the hotspot's 4-byte address, host part below 250) and poolSize addresses after it;
        /// portalUrl goes into option 114.</summary>
        public DhcpResponder(byte[] server, int poolSize, string portalUrl)
        {
            if (server == null || server.Length != 4 || server[3] == 0 || server[3] + poolSize > 254) throw new System.ArgumentException("an IPv4 address of 4 bytes with room for the pool after it", "server");
            if (poolSize < 1 || poolSize > 16) throw new System.ArgumentOutOfRangeException("poolSize");
            _server = server;
            _pool = poolSize;
            _leases = new byte[6 * poolSize];
            _portalUrl = new byte[portalUrl.Length];
            for (int i = 0; i < portalUrl.Length; i++) _portalUrl[i] = (byte)(portalUrl[i] < 0x80 ? portalUrl[i] : '?');
        }

        /// <summary>Answers request[0, length) into response (at least <see cref="MaxMessageBytes"/>); returns the
        /// reply's length, or 0 when nothing is to be sent. Replies go to the broadcast address, port 68.</summary>
        public int Answer(byte[] request, int length, byte[] response)
        {
            if (request == null || response == null || response.Length < MaxMessageBytes) return 0;
            if (length < MinMessageBytes || length > MaxMessageBytes || length > request.Length) return 0;
            if (request[0] != 1 || request[1] != 1 || request[2] != 6) return 0; // BOOTREQUEST over Ethernet-style addresses
            if (request[236] != 99 || request[237] != 130 || request[238] != 83 || request[239] != 99) return 0;

            int type = -1;
            int requestedAt = -1;
            int serverIdAt = -1;
            int at = OptionsAt;
            bool ended = false;
            while (at < length)
            {
                int code = request[at];
                if (code == 0) { at++; continue; }
                if (code == 255) { ended = true; break; }
                if (at + 1 >= length) return 0;
                int size = request[at + 1];
                if (at + 2 + size > length) return 0;
                if (code == 53)
                {
                    if (size != 1) return 0;
                    type = request[at + 2];
                }
                else if (code == 50 && size == 4) requestedAt = at + 2;
                else if (code == 54 && size == 4) serverIdAt = at + 2;
                at += 2 + size;
            }
            if (!ended || type < 0) return 0;
            if (serverIdAt >= 0 && !Same(request, serverIdAt, _server, 0)) return 0; // the client chose another server

            int slot;
            switch (type)
            {
                case Discover:
                    slot = SlotOf(request);
                    if (slot < 0) slot = FreeSlot(request);
                    if (slot < 0) return 0; // pool full
                    return Reply(request, response, Offer, slot);
                case Request:
                    slot = SlotOf(request);
                    int askedAt = requestedAt >= 0 ? requestedAt : 12; // ciaddr when renewing
                    if (slot < 0 || request[askedAt] != _server[0] || request[askedAt + 1] != _server[1] || request[askedAt + 2] != _server[2]
                        || request[askedAt + 3] != HostOf(slot))
                    {
                        return Reply(request, response, Nak, -1);
                    }
                    return Reply(request, response, Ack, slot);
                case Inform:
                    return Reply(request, response, Ack, -1);
                case Release:
                    slot = SlotOf(request);
                    if (slot >= 0) for (int i = 0; i < 6; i++) _leases[6 * slot + i] = 0;
                    return 0;
                default:
                    return 0;
            }
        }

        /// <summary>The address leased to hardware address (6 bytes), or null.</summary>
        public byte[] LeaseOf(byte[] hardwareAddress)
        {
            if (hardwareAddress == null || hardwareAddress.Length != 6 || IsZero(hardwareAddress, 0)) return null;
            for (int slot = 0; slot < _pool; slot++)
            {
                if (Same(_leases, 6 * slot, hardwareAddress, 0, 6)) return new byte[] { _server[0], _server[1], _server[2], HostOf(slot) };
            }
            return null;
        }

        private byte HostOf(int slot)
        {
            return (byte)(_server[3] + 1 + slot);
        }

        private int SlotOf(byte[] request)
        {
            if (IsZero(request, 28)) return -1; // a free slot's zeros are nobody's address
            for (int slot = 0; slot < _pool; slot++)
            {
                if (Same(_leases, 6 * slot, request, 28, 6)) return slot;
            }
            return -1;
        }

        private int FreeSlot(byte[] request)
        {
            if (IsZero(request, 28)) return -1;
            for (int slot = 0; slot < _pool; slot++)
            {
                if (!IsZero(_leases, 6 * slot)) continue;
                for (int i = 0; i < 6; i++) _leases[6 * slot + i] = request[28 + i];
                return slot;
            }
            return -1;
        }

        private int Reply(byte[] request, byte[] response, byte type, int slot)
        {
            for (int i = 0; i < response.Length; i++) response[i] = 0;
            response[0] = 2; // BOOTREPLY
            response[1] = 1;
            response[2] = 6;
            for (int i = 4; i < 8; i++) response[i] = request[i]; // xid
            response[10] = request[10]; // flags (broadcast bit)
            response[11] = request[11];
            if (type == Ack && slot < 0) for (int i = 12; i < 16; i++) response[i] = request[i]; // INFORM: ciaddr
            if (slot >= 0)
            {
                for (int i = 0; i < 3; i++) response[16 + i] = _server[i];
                response[19] = HostOf(slot);
            }
            if (type != Nak) for (int i = 0; i < 4; i++) response[20 + i] = _server[i]; // siaddr
            for (int i = 24; i < 44; i++) response[i] = request[i]; // giaddr, chaddr
            response[236] = 99;
            response[237] = 130;
            response[238] = 83;
            response[239] = 99;

            int n = OptionsAt;
            response[n++] = 53;
            response[n++] = 1;
            response[n++] = type;
            n = Address(response, n, 54, _server);
            if (type != Nak)
            {
                if (slot >= 0)
                {
                    response[n++] = 51;
                    response[n++] = 4;
                    response[n++] = (byte)(LeaseSeconds >> 24);
                    response[n++] = (byte)(LeaseSeconds >> 16);
                    response[n++] = (byte)(LeaseSeconds >> 8);
                    response[n++] = (byte)(LeaseSeconds & 0xFF);
                }
                n = Address(response, n, 1, new byte[] { 255, 255, 255, 0 });
                n = Address(response, n, 3, _server);
                n = Address(response, n, 6, _server);
                if (_portalUrl.Length > 0 && _portalUrl.Length <= 255)
                {
                    response[n++] = 114;
                    response[n++] = (byte)_portalUrl.Length;
                    for (int i = 0; i < _portalUrl.Length; i++) response[n++] = _portalUrl[i];
                }
            }
            response[n++] = 255;
            return n < ReplyMinBytes ? ReplyMinBytes : n;
        }

        private static bool IsZero(byte[] bytes, int at)
        {
            for (int i = 0; i < 6; i++) if (bytes[at + i] != 0) return false;
            return true;
        }

        private static int Address(byte[] response, int n, byte code, byte[] address)
        {
            response[n++] = code;
            response[n++] = 4;
            for (int i = 0; i < 4; i++) response[n++] = address[i];
            return n;
        }

        private static bool Same(byte[] a, int at, byte[] b, int bt)
        {
            return Same(a, at, b, bt, 4);
        }

        private static bool Same(byte[] a, int at, byte[] b, int bt, int count)
        {
            for (int i = 0; i < count; i++) if (a[at + i] != b[bt + i]) return false;
            return true;
        }
    }
}
