using System;

namespace Iot.Contract.Signing
{
    /// <summary>
    /// HMAC-SHA256 (RFC 2104, test vectors of RFC 4231) on the core's own streaming Sha256: Begin, Append as often as
    /// needed, Finish. The key's inner and outer pads are computed once in the constructor; after that nothing
    /// allocates. Used to authenticate telemetry envelopes with the device's evidence key (see Telemetry/README.md).
    /// </summary>
    public sealed class HmacSha256
    {
        /// <summary>Length of a MAC in bytes.</summary>
        public const int MacBytes = Sha256.HashBytes;
        /// <summary>Length of the evidence key agreed at claim, in bytes.</summary>
        public const int EvidenceKeyBytes = 32;
        private const int BlockBytes = 64;

        private readonly Sha256 _inner = new Sha256();
        private readonly Sha256 _outer = new Sha256();
        private readonly byte[] _innerPad = new byte[BlockBytes];
        private readonly byte[] _outerPad = new byte[BlockBytes];
        private readonly byte[] _innerHash = new byte[MacBytes];
        private readonly byte[] _result = new byte[MacBytes];

        /// <summary>Keys the MAC (any length; keys longer than 64 bytes are hashed first, as RFC 2104 says).</summary>
        public HmacSha256(byte[] key)
        {
            if (key == null) throw new ArgumentNullException("key");
            byte[] k = key;
            if (k.Length > BlockBytes)
            {
                k = new byte[MacBytes];
                _inner.Append(key, 0, key.Length);
                _inner.Finish(k, 0);
            }
            for (int i = 0; i < BlockBytes; i++)
            {
                byte b = i < k.Length ? k[i] : (byte)0;
                _innerPad[i] = (byte)(b ^ 0x36);
                _outerPad[i] = (byte)(b ^ 0x5c);
            }
            Begin();
        }

        /// <summary>Starts a new MAC.</summary>
        public void Begin()
        {
            _inner.Reset();
            _inner.Append(_innerPad, 0, BlockBytes);
        }

        /// <summary>Adds data[offset..offset+count) to the message.</summary>
        public void Append(byte[] data, int offset, int count)
        {
            _inner.Append(data, offset, count);
        }

        /// <summary>Writes the 32-byte MAC to output at offset and starts a new MAC.</summary>
        public void Finish(byte[] output, int offset)
        {
            _inner.Finish(_innerHash, 0);
            _outer.Reset();
            _outer.Append(_outerPad, 0, BlockBytes);
            _outer.Append(_innerHash, 0, MacBytes);
            _outer.Finish(output, offset);
            Begin();
        }

        /// <summary>MAC of data[offset..offset+count) in a buffer of this instance (valid until the next call).</summary>
        public byte[] Compute(byte[] data, int offset, int count)
        {
            Begin();
            Append(data, offset, count);
            Finish(_result, 0);
            return _result;
        }

        /// <summary>
        /// Reads a key written as hex (upper or lower case); null when text is null, empty, of odd length, longer than
        /// 128 characters, or not hex. Allocates: for start-up and claim only.
        /// </summary>
        public static byte[] ParseHexKey(string text)
        {
            if (text == null || text.Length == 0 || text.Length % 2 != 0 || text.Length > 128) return null;
            byte[] key = new byte[text.Length / 2];
            for (int i = 0; i < key.Length; i++)
            {
                int hi = HexValue(text[2 * i]);
                int lo = HexValue(text[2 * i + 1]);
                if (hi < 0 || lo < 0) return null;
                key[i] = (byte)((hi << 4) | lo);
            }
            return key;
        }

        /// <summary>Writes bytes as lower-case hex (allocates a string: for start-up, claim and tests only).</summary>
        public static string ToHex(byte[] bytes, int offset, int count)
        {
            char[] chars = new char[2 * count];
            for (int i = 0; i < count; i++)
            {
                chars[2 * i] = HexDigit(bytes[offset + i] >> 4);
                chars[2 * i + 1] = HexDigit(bytes[offset + i] & 15);
            }
            return new string(chars);
        }

        /// <summary>Lower-case hex digit of a value 0..15.</summary>
        public static char HexDigit(int value)
        {
            return (char)(value < 10 ? '0' + value : 'a' + value - 10);
        }

        private static int HexValue(char c)
        {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        }
    }
}
