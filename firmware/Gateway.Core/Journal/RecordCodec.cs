using Iot.Contract;
using Iot.Gateway.Telemetry;

namespace Iot.Gateway.Journal
{
    /// <summary>
    /// Compact binary form of a MinuteRecord for the journal (little-endian):
    /// seq u32, t u32, dur u16, q u8, channel mask u16, then one i32 per present channel in channel order,
    /// holding the value in units of the channel's wire decimals (68.2 dB with 1 decimal is 682).
    /// 13 bytes plus 4 per channel: 77 bytes at most, about 21 for a noise minute.
    /// </summary>
    public static class RecordCodec
    {
        /// <summary>Fixed part of an encoded record.</summary>
        public const int HeaderBytes = 13;
        /// <summary>Largest encoded record.</summary>
        public const int MaxBytes = HeaderBytes + 4 * Channel.Count;

        /// <summary>Encodes record into buffer at offset; returns the encoded length.</summary>
        public static int Encode(MinuteRecord record, byte[] buffer, int offset)
        {
            int p = offset;
            p = PutU32(buffer, p, record.Seq);
            p = PutU32(buffer, p, (uint)record.T);
            buffer[p++] = (byte)record.Dur;
            buffer[p++] = (byte)(record.Dur >> 8);
            buffer[p++] = (byte)record.Q;
            buffer[p++] = (byte)record.PresentMask;
            buffer[p++] = (byte)(record.PresentMask >> 8);
            for (int c = 0; c < Channel.Count; c++)
            {
                if (!record.Has(c)) continue;
                p = PutU32(buffer, p, (uint)ToFixed(record.Get(c), Channel.Decimals(c)));
            }
            return p - offset;
        }

        /// <summary>Decodes length bytes at offset into record; false when they are not a well-formed record.</summary>
        public static bool Decode(byte[] buffer, int offset, int length, MinuteRecord record)
        {
            if (length < HeaderBytes || length > MaxBytes) return false;
            int mask = buffer[offset + 11] | (buffer[offset + 12] << 8);
            if (length != HeaderBytes + 4 * BitCount(mask)) return false;

            record.Reset();
            record.Seq = GetU32(buffer, offset);
            record.T = GetU32(buffer, offset + 4);
            record.Dur = buffer[offset + 8] | (buffer[offset + 9] << 8);
            record.Q = buffer[offset + 10];
            int p = offset + HeaderBytes;
            for (int c = 0; c < Channel.Count; c++)
            {
                if ((mask & Channel.Bit(c)) == 0) continue;
                int raw = (int)GetU32(buffer, p);
                p += 4;
                record.Set(c, raw / Pow10(Channel.Decimals(c)));
            }
            return true;
        }

        private static int ToFixed(double value, int decimals)
        {
            double scaled = value * Pow10(decimals);
            scaled = scaled < 0 ? -System.Math.Floor(-scaled + 0.5) : System.Math.Floor(scaled + 0.5);
            if (scaled > int.MaxValue) return int.MaxValue;
            if (scaled < -int.MaxValue) return -int.MaxValue;
            return (int)scaled;
        }

        private static double Pow10(int decimals)
        {
            double p = 1;
            for (int i = 0; i < decimals; i++) p *= 10;
            return p;
        }

        private static int BitCount(int mask)
        {
            int n = 0;
            for (int c = 0; c < Channel.Count; c++)
            {
                if ((mask & Channel.Bit(c)) != 0) n++;
            }
            return (mask >> Channel.Count) == 0 ? n : -1;
        }

        internal static int PutU32(byte[] buffer, int p, uint value)
        {
            buffer[p] = (byte)value;
            buffer[p + 1] = (byte)(value >> 8);
            buffer[p + 2] = (byte)(value >> 16);
            buffer[p + 3] = (byte)(value >> 24);
            return p + 4;
        }

        internal static uint GetU32(byte[] buffer, int p)
        {
            return (uint)(buffer[p] | (buffer[p + 1] << 8) | (buffer[p + 2] << 16) | (buffer[p + 3] << 24));
        }
    }
}
