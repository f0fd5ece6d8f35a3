namespace Iot.Gateway.Onboarding
{
    /// <summary>
    /// The onboarding hotspot's DNS (RFC 1035 over UDP 53): every A query is answered with the gateway's own address,
    /// so a phone that joins the hotspot finds its connectivity check ("connectivitycheck.gstatic.com",
    /// "captive.apple.com", …) answered by the gateway's page and shows it as a sign-in page. Other types get an empty
    /// answer (AAAA: the phone falls back to IPv4), other opcodes "not implemented". A packet that is not one
    /// well-formed standard query with one question is dropped without an answer, never read past its end.
    /// </summary>
    public sealed class DnsResponder
    {
        /// <summary>Largest DNS message over UDP without EDNS; longer queries are dropped.</summary>
        public const int MaxMessageBytes = 512;
        /// <summary>TTL of the answers: short, so phones forget them soon after the hotspot closes.</summary>
        public const int AnswerTtlSeconds = 10;

        private const int HeaderBytes = 12;
        private const int TypeA = 1;
        private const int TypeAny = 255;
        private const int ClassIn = 1;
        private const int RcodeNotImplemented = 4;

        private readonly byte[] _address;

        /// <summary>Answers with address (4 bytes, the hotspot's IPv4 address).</summary>
        public DnsResponder(byte[] address)
        {
            if (address == null || address.Length != 4) throw new System.ArgumentException("an IPv4 address of 4 bytes", "address");
            _address = address;
        }

        /// <summary>Queries answered since start.</summary>
        public int Answered { get; private set; }

        /// <summary>Packets dropped as malformed since start.</summary>
        public int Dropped { get; private set; }

        /// <summary>Writes the answer to query[0, length) into response (at least 512 bytes); returns its length, or 0
        /// when the packet is dropped.</summary>
        public int Answer(byte[] query, int length, byte[] response)
        {
            int n = Build(query, length, response);
            if (n == 0) Dropped++;
            else Answered++;
            return n;
        }

        private int Build(byte[] query, int length, byte[] response)
        {
            if (query == null || response == null || response.Length < MaxMessageBytes) return 0;
            if (length < HeaderBytes || length > MaxMessageBytes || length > query.Length) return 0;
            int flags = (query[2] << 8) | query[3];
            if ((flags & 0x8000) != 0) return 0; // a response, not a query
            int opcode = (flags >> 11) & 0x0F;
            int questions = (query[4] << 8) | query[5];
            int answers = (query[6] << 8) | query[7];
            int authorities = (query[8] << 8) | query[9];
            if (questions != 1 || answers != 0 || authorities != 0) return 0;

            // The question: a name of labels (no compression pointers in a query), then type and class.
            int at = HeaderBytes;
            int nameBytes = 0;
            while (true)
            {
                if (at >= length) return 0;
                int label = query[at];
                if (label == 0) { at++; break; }
                if (label > 63) return 0; // a pointer (0xC0) or a reserved label type
                nameBytes += label + 1;
                if (nameBytes > 254) return 0;
                at += 1 + label;
            }
            if (at + 4 > length) return 0;
            int type = (query[at] << 8) | query[at + 1];
            int klass = (query[at + 2] << 8) | query[at + 3];
            int questionEnd = at + 4;

            for (int i = 0; i < questionEnd; i++) response[i] = query[i];
            bool answer = opcode == 0 && klass == ClassIn && (type == TypeA || type == TypeAny);
            // QR, the query's opcode, AA, the query's RD; RA clear; rcode.
            int reply = 0x8000 | (opcode << 11) | 0x0400 | (flags & 0x0100) | (opcode == 0 ? 0 : RcodeNotImplemented);
            response[2] = (byte)(reply >> 8);
            response[3] = (byte)reply;
            response[6] = 0;
            response[7] = (byte)(answer ? 1 : 0);
            response[8] = 0;
            response[9] = 0;
            response[10] = 0; // additional records of the query (EDNS) are not echoed
            response[11] = 0;
            if (!answer) return questionEnd;

            int n = questionEnd;
            response[n++] = 0xC0; // the name: a pointer to the question's
            response[n++] = HeaderBytes;
            response[n++] = 0;
            response[n++] = TypeA;
            response[n++] = 0;
            response[n++] = ClassIn;
            response[n++] = 0;
            response[n++] = 0;
            response[n++] = 0;
            response[n++] = AnswerTtlSeconds;
            response[n++] = 0;
            response[n++] = 4;
            for (int i = 0; i < 4; i++) response[n++] = _address[i];
            return n;
        }
    }
}
