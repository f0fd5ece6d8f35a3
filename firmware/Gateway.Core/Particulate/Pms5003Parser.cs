namespace Iot.Gateway.Particulate
{
    /// <summary>
    /// Streaming parser for Plantower PMS5003 frames: 0x42 0x4D, length 28 (big-endian), 13 data words,
    /// checksum = 16-bit sum of every byte before it. Feed bytes as they arrive; after a bad length or
    /// checksum it rescans the bytes it already holds for the next header, so garbage costs at most a frame.
    /// </summary>
    public sealed class Pms5003Parser
    {
        /// <summary>Bytes in a whole frame.</summary>
        public const int FrameLength = 32;
        /// <summary>First header byte ('B').</summary>
        public const byte Header1 = 0x42;
        /// <summary>Second header byte ('M').</summary>
        public const byte Header2 = 0x4D;
        /// <summary>Value of the length field: 13 data words plus the checksum.</summary>
        public const int LengthField = 2 * 13 + 2;

        private readonly byte[] _frame = new byte[FrameLength];
        private int _count;

        /// <summary>PM1.0 under atmospheric environment, µg/m³, from the last valid frame.</summary>
        public int Pm1Atmospheric { get; private set; }
        /// <summary>PM2.5 under atmospheric environment, µg/m³, from the last valid frame.</summary>
        public int Pm25Atmospheric { get; private set; }
        /// <summary>PM10 under atmospheric environment, µg/m³, from the last valid frame.</summary>
        public int Pm10Atmospheric { get; private set; }
        /// <summary>Frames rejected for length or checksum since start.</summary>
        public int RejectedFrames { get; private set; }

        /// <summary>Adds one byte; returns true when it completed a valid frame (read the properties then).</summary>
        public bool Push(byte value)
        {
            _frame[_count++] = value;
            if (!PrefixIsPlausible(_count))
            {
                Resynchronise();
                return false;
            }
            if (_count < FrameLength) return false;

            if (!ChecksumMatches())
            {
                RejectedFrames++;
                Resynchronise();
                return false;
            }

            Pm1Atmospheric = Word(4);
            Pm25Atmospheric = Word(5);
            Pm10Atmospheric = Word(6);
            _count = 0;
            return true;
        }

        /// <summary>Feeds buffer[offset..offset+count); returns how many valid frames it completed.</summary>
        public int Push(byte[] buffer, int offset, int count)
        {
            int frames = 0;
            for (int i = offset; i < offset + count; i++)
            {
                if (Push(buffer[i])) frames++;
            }
            return frames;
        }

        /// <summary>Drops any partial frame.</summary>
        public void Reset()
        {
            _count = 0;
        }

        // Data word i (1..13) sits after the 4 header/length bytes.
        private int Word(int i)
        {
            int at = 2 + 2 * i;
            return (_frame[at] << 8) | _frame[at + 1];
        }

        private bool PrefixIsPlausible(int length)
        {
            if (length >= 1 && _frame[0] != Header1) return false;
            if (length >= 2 && _frame[1] != Header2) return false;
            if (length >= 4 && ((_frame[2] << 8) | _frame[3]) != LengthField) return false;
            return true;
        }

        private bool ChecksumMatches()
        {
            int sum = 0;
            for (int i = 0; i < FrameLength - 2; i++) sum += _frame[i];
            int expected = (_frame[FrameLength - 2] << 8) | _frame[FrameLength - 1];
            return (sum & 0xFFFF) == expected;
        }

        // Drop the first byte, then keep dropping until what is left could be the start of a frame.
        private void Resynchronise()
        {
            int start = 1;
            while (start < _count)
            {
                int remaining = _count - start;
                bool plausible = true;
                if (_frame[start] != Header1) plausible = false;
                else if (remaining >= 2 && _frame[start + 1] != Header2) plausible = false;
                else if (remaining >= 4 && ((_frame[start + 2] << 8) | _frame[start + 3]) != LengthField) plausible = false;
                if (plausible) break;
                start++;
            }
            int keep = _count - start;
            for (int i = 0; i < keep; i++) _frame[i] = _frame[start + i];
            _count = keep;
        }
    }
}
