using System;

namespace Iot.Contract.Signing
{
    /// <summary>
    /// The part of a firmware release that the release key signs: target, version, size, SHA-256 and whether it
    /// may replace a newer version. The signed bytes are the canonical text written by WriteSignedMessage (the
    /// release tool signs exactly these bytes, the device rebuilds them from the OTA command and verifies):
    /// <code>
    /// iot-gateway-release/1\n
    /// target=esp32\n
    /// version=1.5.0\n
    /// size=183296\n
    /// sha256=&lt;64 lowercase hex digits&gt;\n
    /// allow_downgrade=false\n
    /// </code>
    /// </summary>
    public sealed class ReleaseManifest
    {
        /// <summary>First line of the signed text; a new layout gets a new number.</summary>
        public const string Header = "iot-gateway-release/1";
        /// <summary>Longest version string accepted.</summary>
        public const int MaxVersionLength = 32;
        /// <summary>Longest target name accepted.</summary>
        public const int MaxTargetLength = 32;
        /// <summary>Room WriteSignedMessage needs at most.</summary>
        public const int MaxMessageBytes = 256;

        /// <summary>The platform the release is built for ("esp32", "virtual"); devices only take their own.</summary>
        public string Target;
        /// <summary>Release version, e.g. 1.5.0 (see CompareVersions).</summary>
        public string Version;
        /// <summary>Bundle size in bytes.</summary>
        public int Size;
        /// <summary>SHA-256 of the bundle (32 bytes).</summary>
        public readonly byte[] Sha256 = new byte[32];
        /// <summary>True when the release may replace a newer version (a signed, deliberate rollback release).</summary>
        public bool AllowDowngrade;

        /// <summary>Null when the fields can be signed, else what is wrong.</summary>
        public string Validate()
        {
            if (!IsValidName(Target, MaxTargetLength, false)) return "bad target";
            if (!IsValidVersion(Version)) return "bad version";
            if (Size <= 0) return "bad size";
            return null;
        }

        /// <summary>Writes the canonical signed text into buffer (MaxMessageBytes suffice); returns its length.</summary>
        public int WriteSignedMessage(byte[] buffer)
        {
            if (Validate() != null) throw new InvalidOperationException("invalid manifest");
            int p = 0;
            p = Put(buffer, p, Header);
            p = Line(buffer, p);
            p = Put(buffer, p, "target=");
            p = Put(buffer, p, Target);
            p = Line(buffer, p);
            p = Put(buffer, p, "version=");
            p = Put(buffer, p, Version);
            p = Line(buffer, p);
            p = Put(buffer, p, "size=");
            p = PutNumber(buffer, p, Size);
            p = Line(buffer, p);
            p = Put(buffer, p, "sha256=");
            for (int i = 0; i < 32; i++)
            {
                buffer[p++] = HexDigit(Sha256[i] >> 4);
                buffer[p++] = HexDigit(Sha256[i] & 15);
            }
            p = Line(buffer, p);
            p = Put(buffer, p, "allow_downgrade=");
            p = Put(buffer, p, AllowDowngrade ? "true" : "false");
            return Line(buffer, p);
        }

        /// <summary>
        /// Orders versions of the form 1.5.0 (up to four numeric parts) with an optional pre-release suffix
        /// (1.5.0-rc.1 comes before 1.5.0; suffixes compare as text) and ignored build metadata (+...).
        /// Returns negative, zero or positive like String.Compare. An unparsable version counts as 0.
        /// </summary>
        public static int CompareVersions(string a, string b)
        {
            for (int part = 0; part < 4; part++)
            {
                long x = NumericPart(a, part);
                long y = NumericPart(b, part);
                if (x != y) return x < y ? -1 : 1;
            }
            int sa = SuffixStart(a);
            int sb = SuffixStart(b);
            if (sa < 0 && sb < 0) return 0;
            if (sa < 0) return 1;
            if (sb < 0) return -1;
            int ea = SuffixEnd(a);
            int eb = SuffixEnd(b);
            for (int i = 0; ; i++)
            {
                bool endA = sa + i >= ea;
                bool endB = sb + i >= eb;
                if (endA || endB) return endA == endB ? 0 : endA ? -1 : 1;
                char ca = a[sa + i];
                char cb = b[sb + i];
                if (ca != cb) return ca < cb ? -1 : 1;
            }
        }

        /// <summary>True for 1 to 4 dot-separated numbers, optionally followed by -suffix and/or +build ([0-9A-Za-z.-]).</summary>
        public static bool IsValidVersion(string v)
        {
            if (v == null || v.Length == 0 || v.Length > MaxVersionLength) return false;
            int i = 0;
            int parts = 0;
            while (true)
            {
                int start = i;
                while (i < v.Length && v[i] >= '0' && v[i] <= '9') i++;
                if (i == start || i - start > 9) return false;
                parts++;
                if (i < v.Length && v[i] == '.' && parts < 4)
                {
                    i++;
                    continue;
                }
                break;
            }
            if (i == v.Length) return true;
            if (v[i] != '-' && v[i] != '+') return false;
            i++;
            if (i == v.Length) return false;
            for (; i < v.Length; i++)
            {
                char c = v[i];
                bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' || c == '+';
                if (!ok) return false;
            }
            return true;
        }

        /// <summary>True for 1..max characters of [a-z0-9_-] (lower case) or, with anyCase, also upper case.</summary>
        public static bool IsValidName(string s, int max, bool anyCase)
        {
            if (s == null || s.Length == 0 || s.Length > max) return false;
            for (int i = 0; i < s.Length; i++)
            {
                char c = s[i];
                bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || (anyCase && c >= 'A' && c <= 'Z');
                if (!ok) return false;
            }
            return true;
        }

        /// <summary>Decodes hex digits (either case) into output; false unless text is exactly 2 * output.Length digits.</summary>
        public static bool TryDecodeHex(string text, byte[] output)
        {
            if (text == null || text.Length != 2 * output.Length) return false;
            for (int i = 0; i < output.Length; i++)
            {
                int hi = HexValue(text[2 * i]);
                int lo = HexValue(text[2 * i + 1]);
                if (hi < 0 || lo < 0) return false;
                output[i] = (byte)((hi << 4) | lo);
            }
            return true;
        }

        /// <summary>Lower-case hex digit of a value 0..15.</summary>
        public static byte HexDigit(int value)
        {
            return (byte)(value < 10 ? '0' + value : 'a' + value - 10);
        }

        private static int HexValue(char c)
        {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        }

        // The part-th dot-separated number of v (0 when missing or unparsable).
        private static long NumericPart(string v, int part)
        {
            if (v == null) return 0;
            int i = 0;
            for (int k = 0; k < part; k++)
            {
                while (i < v.Length && v[i] >= '0' && v[i] <= '9') i++;
                if (i >= v.Length || v[i] != '.') return 0;
                i++;
            }
            long n = 0;
            int digits = 0;
            while (i < v.Length && v[i] >= '0' && v[i] <= '9' && digits < 18)
            {
                n = n * 10 + (v[i] - '0');
                i++;
                digits++;
            }
            return n;
        }

        // Index after '-' of the pre-release suffix, or -1.
        private static int SuffixStart(string v)
        {
            if (v == null) return -1;
            for (int i = 0; i < v.Length; i++)
            {
                char c = v[i];
                if (c == '+') return -1;
                if (c == '-') return i + 1;
            }
            return -1;
        }

        private static int SuffixEnd(string v)
        {
            for (int i = SuffixStart(v); i < v.Length; i++)
            {
                if (v[i] == '+') return i;
            }
            return v.Length;
        }

        private static int Put(byte[] buffer, int p, string text)
        {
            for (int i = 0; i < text.Length; i++) buffer[p++] = (byte)text[i];
            return p;
        }

        private static int Line(byte[] buffer, int p)
        {
            buffer[p] = (byte)'\n';
            return p + 1;
        }

        private static int PutNumber(byte[] buffer, int p, int value)
        {
            int digits = 1;
            for (int v = value; v >= 10; v /= 10) digits++;
            for (int i = digits - 1; i >= 0; i--)
            {
                buffer[p + i] = (byte)('0' + value % 10);
                value /= 10;
            }
            return p + digits;
        }
    }
}
