using System;

namespace Iot.Contract.Signing
{
    /// <summary>
    /// Ed25519 signature verification (RFC 8032, "pure" Ed25519), ported from TweetNaCl's field arithmetic
    /// (radix 2^16 on long[16]): nanoFramework has neither Ed25519 nor BigInteger. Unlike TweetNaCl it rejects
    /// a non-canonical S (S must be below the group order L), so a signature cannot be altered into another valid one.
    /// The work (about 10,000 field multiplications, tens of seconds interpreted on an ESP32) is split into
    /// Steps so that the main loop keeps its one-second rhythm; Verify runs it all at once. Allocates only in
    /// the constructor.
    /// </summary>
    public sealed class Ed25519Verifier
    {
        /// <summary>Public key length in bytes.</summary>
        public const int PublicKeyBytes = 32;
        /// <summary>Signature length in bytes (R then S).</summary>
        public const int SignatureBytes = 64;

        // Phases of the work; Step advances through them in order.
        private const int Idle = 0;
        private const int DecodePower = 1;
        private const int DecodeFinish = 2;
        private const int MultiplyKey = 3;
        private const int MultiplyBase = 4;
        private const int Invert = 5;
        private const int Done = 6;

        private static readonly long[] D = { 0x78a3, 0x1359, 0x4dca, 0x75eb, 0xd8ab, 0x4141, 0x0a4d, 0x0070, 0xe898, 0x7779, 0x4079, 0x8cc7, 0xfe73, 0x2b6f, 0x6cee, 0x5203 };
        private static readonly long[] D2 = { 0xf159, 0x26b2, 0x9b94, 0xebd6, 0xb156, 0x8283, 0x149a, 0x00e0, 0xd130, 0xeef3, 0x80f2, 0x198e, 0xfce7, 0x56df, 0xd9dc, 0x2406 };
        private static readonly long[] X = { 0xd51a, 0x8f25, 0x2d60, 0xc956, 0xa7b2, 0x9525, 0xc760, 0x692c, 0xdc5c, 0xfdd6, 0xe231, 0xc0a4, 0x53fe, 0xcd6e, 0x36d3, 0x2169 };
        private static readonly long[] Y = { 0x6658, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666 };
        private static readonly long[] SqrtMinusOne = { 0xa0b0, 0x4a0e, 0x1b27, 0xc4ee, 0xe478, 0xad2f, 0x1806, 0x2f43, 0xd7a7, 0x3dfb, 0x0099, 0x2b4d, 0xdf0b, 0x4fc1, 0x2480, 0x2b83 };
        // The group order L, little-endian bytes.
        private static readonly long[] L = { 0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10 };

        private readonly Sha512 _sha = new Sha512();
        private readonly byte[] _key = new byte[PublicKeyBytes];
        private readonly byte[] _signature = new byte[SignatureBytes];
        private readonly byte[] _h = new byte[64];
        private readonly long[] _x = new long[64];
        private readonly long[] _t = new long[31];
        private readonly long[][] _p = NewPoint();
        private readonly long[][] _q = NewPoint();
        private readonly long[][] _saved = NewPoint();
        private readonly long[][] _base = NewPoint();
        private readonly long[] _a = new long[16], _b = new long[16], _c = new long[16], _d = new long[16];
        private readonly long[] _e = new long[16], _f = new long[16], _g = new long[16], _hh = new long[16];
        private readonly long[] _u = new long[16], _num = new long[16], _den = new long[16], _pow = new long[16];
        private readonly long[] _m = new long[16], _packT = new long[16];
        private readonly byte[] _packA = new byte[32], _packB = new byte[32];
        private int _phase;
        private int _counter;
        private bool _valid;

        /// <summary>True when the last verification has finished (see IsValid).</summary>
        public bool IsDone { get { return _phase == Done; } }

        /// <summary>The result once IsDone: true when the signature is valid.</summary>
        public bool IsValid { get { return _phase == Done && _valid; } }

        /// <summary>Verifies in one go (tests, tools); on the device prefer Begin and Step.</summary>
        public bool Verify(byte[] publicKey, byte[] signature, byte[] message, int offset, int count)
        {
            Begin(publicKey, signature, message, offset, count);
            while (!Step(1000)) { }
            return _valid;
        }

        /// <summary>
        /// Starts verifying signature (64 bytes) of message[offset..offset+count) under publicKey (32 bytes); the
        /// message is hashed here, so it may change after Begin returns. Then call Step until it returns true.
        /// </summary>
        public void Begin(byte[] publicKey, byte[] signature, byte[] message, int offset, int count)
        {
            if (publicKey == null || signature == null || message == null) throw new ArgumentNullException("publicKey");
            if (publicKey.Length != PublicKeyBytes || signature.Length != SignatureBytes) throw new ArgumentException("key or signature length");
            Array.Copy(publicKey, _key, PublicKeyBytes);
            Array.Copy(signature, _signature, SignatureBytes);
            _valid = false;
            if (!ScalarIsCanonical(_signature, 32))
            {
                _phase = Done;
                return;
            }
            // h = SHA-512(R || A || M) mod L
            _sha.Reset();
            _sha.Append(_signature, 0, 32);
            _sha.Append(_key, 0, PublicKeyBytes);
            _sha.Append(message, offset, count);
            _sha.Finish(_h, 0);
            Reduce(_h);
            BeginDecode();
        }

        /// <summary>Does about `rounds` units of the work (one unit: one scalar bit, or 8 squarings); true when done.</summary>
        public bool Step(int rounds)
        {
            while (rounds-- > 0)
            {
                switch (_phase)
                {
                    case DecodePower:
                        // t = t^((p-5)/8), TweetNaCl's pow2523: square-and-multiply from bit 250 down.
                        for (int k = 0; k < 8 && _counter >= 0; k++, _counter--)
                        {
                            Mul(_pow, _pow, _pow);
                            if (_counter != 1) Mul(_pow, _pow, _u);
                        }
                        if (_counter < 0) _phase = DecodeFinish;
                        break;
                    case DecodeFinish:
                        if (!FinishDecode())
                        {
                            _phase = Done;
                            return true;
                        }
                        // _q is now -A: _p becomes [h](-A), then [S]B is added; R = [S]B - [h]A for a valid signature.
                        StartMultiply();
                        _phase = MultiplyKey;
                        _counter = 255;
                        break;
                    case MultiplyKey:
                        MultiplyBit(_h, _counter);
                        if (--_counter < 0)
                        {
                            // _p = [h](-A): keep it aside while _p becomes [S]B.
                            CopyPoint(_p, _saved);
                            StartBase();
                            _phase = MultiplyBase;
                            _counter = 255;
                        }
                        break;
                    case MultiplyBase:
                        MultiplyBitBase(_counter);
                        if (--_counter < 0)
                        {
                            // _p = [S]B, _saved = [h](-A): sum them, then encode.
                            Add(_p, _saved);
                            Set(_pow, _p[2]);
                            Set(_u, _p[2]);
                            _counter = 253;
                            _phase = Invert;
                        }
                        break;
                    case Invert:
                        // z^(p-2), TweetNaCl's inv25519.
                        for (int k = 0; k < 8 && _counter >= 0; k++, _counter--)
                        {
                            Mul(_u, _u, _u);
                            if (_counter != 2 && _counter != 4) Mul(_u, _u, _pow);
                        }
                        if (_counter < 0)
                        {
                            FinishEncode();
                            _phase = Done;
                            return true;
                        }
                        break;
                    default:
                        return true;
                }
            }
            return _phase == Done;
        }

        private static long[][] NewPoint()
        {
            long[][] p = new long[4][];
            for (int i = 0; i < 4; i++) p[i] = new long[16];
            return p;
        }

        // Decodes A and negates it (TweetNaCl's unpackneg), first half: up to the exponentiation.
        private void BeginDecode()
        {
            long[][] r = _q;
            Set1(r[2]);
            Unpack(r[1], _key);
            Mul(_num, r[1], r[1]);
            Mul(_den, _num, D);
            Sub(_num, _num, r[2]);
            AddF(_den, r[2], _den);

            Mul(_a, _den, _den);   // den2
            Mul(_b, _a, _a);       // den4
            Mul(_c, _b, _a);       // den6
            Mul(_u, _c, _num);
            Mul(_u, _u, _den);
            Set(_pow, _u);
            _counter = 250;
            _phase = DecodePower;
        }

        // Second half of unpackneg; false when the key is not a point on the curve.
        private bool FinishDecode()
        {
            long[][] r = _q;
            Mul(_pow, _pow, _num);
            Mul(_pow, _pow, _den);
            Mul(_pow, _pow, _den);
            Mul(r[0], _pow, _den);

            Mul(_c, r[0], r[0]);
            Mul(_c, _c, _den);
            if (!Equal(_c, _num)) Mul(r[0], r[0], SqrtMinusOne);

            Mul(_c, r[0], r[0]);
            Mul(_c, _c, _den);
            if (!Equal(_c, _num)) return false;

            if (Parity(r[0]) == (_key[31] >> 7))
            {
                for (int i = 0; i < 16; i++) _c[i] = 0;
                Sub(r[0], _c, r[0]);
            }
            Mul(r[3], r[0], r[1]);
            return true;
        }

        private void StartMultiply()
        {
            Set0(_p[0]);
            Set1(_p[1]);
            Set1(_p[2]);
            Set0(_p[3]);
        }

        private void MultiplyBit(byte[] scalar, int i)
        {
            int bit = (scalar[i >> 3] >> (i & 7)) & 1;
            Swap(_p, _q, bit);
            Add(_q, _p);
            Add(_p, _p);
            Swap(_p, _q, bit);
        }

        private void StartBase()
        {
            Set(_base[0], X);
            Set(_base[1], Y);
            Set1(_base[2]);
            Mul(_base[3], X, Y);
            StartMultiply();
        }

        private void MultiplyBitBase(int i)
        {
            int bit = (_signature[32 + (i >> 3)] >> (i & 7)) & 1;
            Swap(_p, _base, bit);
            Add(_base, _p);
            Add(_p, _p);
            Swap(_p, _base, bit);
        }

        // Encodes _p (TweetNaCl's pack) with 1/z in _u and compares it with R.
        private void FinishEncode()
        {
            Mul(_a, _p[0], _u);
            Mul(_b, _p[1], _u);
            Pack(_packA, _b);
            _packA[31] ^= (byte)(Parity(_a) << 7);
            int diff = 0;
            for (int i = 0; i < 32; i++) diff |= _packA[i] ^ _signature[i];
            _valid = diff == 0;
        }

        private static void CopyPoint(long[][] from, long[][] to)
        {
            for (int i = 0; i < 4; i++) Set(to[i], from[i]);
        }

        // p = p + q (extended coordinates, TweetNaCl's add).
        private void Add(long[][] p, long[][] q)
        {
            Sub(_a, p[1], p[0]);
            Sub(_e, q[1], q[0]);
            Mul(_a, _a, _e);
            AddF(_b, p[0], p[1]);
            AddF(_e, q[0], q[1]);
            Mul(_b, _b, _e);
            Mul(_c, p[3], q[3]);
            Mul(_c, _c, D2);
            Mul(_d, p[2], q[2]);
            AddF(_d, _d, _d);
            Sub(_e, _b, _a);
            Sub(_f, _d, _c);
            AddF(_g, _d, _c);
            AddF(_hh, _b, _a);

            Mul(p[0], _e, _f);
            Mul(p[1], _hh, _g);
            Mul(p[2], _g, _f);
            Mul(p[3], _e, _hh);
        }

        private static void Swap(long[][] p, long[][] q, int bit)
        {
            for (int i = 0; i < 4; i++) Select(p[i], q[i], bit);
        }

        private static void Select(long[] p, long[] q, int bit)
        {
            long c = ~(bit - 1);
            for (int i = 0; i < 16; i++)
            {
                long t = c & (p[i] ^ q[i]);
                p[i] ^= t;
                q[i] ^= t;
            }
        }

        private static void Set(long[] o, long[] a)
        {
            for (int i = 0; i < 16; i++) o[i] = a[i];
        }

        private static void Set0(long[] o)
        {
            for (int i = 0; i < 16; i++) o[i] = 0;
        }

        private static void Set1(long[] o)
        {
            o[0] = 1;
            for (int i = 1; i < 16; i++) o[i] = 0;
        }

        private static void AddF(long[] o, long[] a, long[] b)
        {
            for (int i = 0; i < 16; i++) o[i] = a[i] + b[i];
        }

        private static void Sub(long[] o, long[] a, long[] b)
        {
            for (int i = 0; i < 16; i++) o[i] = a[i] - b[i];
        }

        // o = a * b mod 2^255-19; o may be a or b.
        private void Mul(long[] o, long[] a, long[] b)
        {
            long[] t = _t;
            for (int i = 0; i < 31; i++) t[i] = 0;
            for (int i = 0; i < 16; i++)
            {
                long ai = a[i];
                for (int j = 0; j < 16; j++) t[i + j] += ai * b[j];
            }
            for (int i = 0; i < 15; i++) t[i] += 38 * t[i + 16];
            for (int i = 0; i < 16; i++) o[i] = t[i];
            Carry(o);
            Carry(o);
        }

        private static void Carry(long[] o)
        {
            for (int i = 0; i < 16; i++)
            {
                o[i] += 1L << 16;
                long c = o[i] >> 16;
                if (i < 15) o[i + 1] += c - 1;
                else o[0] += 38 * (c - 1);
                o[i] -= c << 16;
            }
        }

        // Fully reduced little-endian encoding of n.
        private void Pack(byte[] o, long[] n)
        {
            long[] t = _packT;
            long[] m = _m;
            Set(t, n);
            Carry(t);
            Carry(t);
            Carry(t);
            for (int j = 0; j < 2; j++)
            {
                m[0] = t[0] - 0xffed;
                for (int i = 1; i < 15; i++)
                {
                    m[i] = t[i] - 0xffff - ((m[i - 1] >> 16) & 1);
                    m[i - 1] &= 0xffff;
                }
                m[15] = t[15] - 0x7fff - ((m[14] >> 16) & 1);
                int b = (int)((m[15] >> 16) & 1);
                m[14] &= 0xffff;
                Select(t, m, 1 - b);
            }
            for (int i = 0; i < 16; i++)
            {
                o[2 * i] = (byte)(t[i] & 0xff);
                o[2 * i + 1] = (byte)(t[i] >> 8);
            }
        }

        private bool Equal(long[] a, long[] b)
        {
            Pack(_packA, a);
            Pack(_packB, b);
            int diff = 0;
            for (int i = 0; i < 32; i++) diff |= _packA[i] ^ _packB[i];
            return diff == 0;
        }

        private int Parity(long[] a)
        {
            Pack(_packB, a);
            return _packB[0] & 1;
        }

        private static void Unpack(long[] o, byte[] n)
        {
            for (int i = 0; i < 16; i++) o[i] = n[2 * i] + ((long)n[2 * i + 1] << 8);
            o[15] &= 0x7fff;
        }

        // True when the 32-byte little-endian scalar at s[offset] is below L.
        private static bool ScalarIsCanonical(byte[] s, int offset)
        {
            for (int i = 31; i >= 0; i--)
            {
                if (s[offset + i] < L[i]) return true;
                if (s[offset + i] > L[i]) return false;
            }
            return false;
        }

        // r (64 bytes) = r mod L in its first 32 bytes (TweetNaCl's reduce/modL).
        private void Reduce(byte[] r)
        {
            long[] x = _x;
            for (int i = 0; i < 64; i++) x[i] = r[i];
            for (int i = 0; i < 64; i++) r[i] = 0;
            long carry;
            for (int i = 63; i >= 32; i--)
            {
                carry = 0;
                int j;
                for (j = i - 32; j < i - 12; j++)
                {
                    x[j] += carry - 16 * x[i] * L[j - (i - 32)];
                    carry = (x[j] + 128) >> 8;
                    x[j] -= carry << 8;
                }
                x[j] += carry;
                x[i] = 0;
            }
            carry = 0;
            for (int j = 0; j < 32; j++)
            {
                x[j] += carry - (x[31] >> 4) * L[j];
                carry = x[j] >> 8;
                x[j] &= 255;
            }
            for (int j = 0; j < 32; j++) x[j] -= carry * L[j];
            for (int i = 0; i < 32; i++)
            {
                x[i + 1] += x[i] >> 8;
                r[i] = (byte)(x[i] & 255);
            }
        }
    }
}
