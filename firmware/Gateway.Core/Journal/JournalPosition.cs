using Iot.Gateway.Hardware;

namespace Iot.Gateway.Journal
{
    /// <summary>
    /// How far the journal's records were delivered (every record up to a sequence number), the segment where the
    /// undelivered ones begin, and the next sequence number, kept in two small files written in turn: a damaged or
    /// torn copy leaves the other one. Copy layout (little-endian): magic "IJP2", generation u32, segment u32,
    /// delivered seq u32, next seq u32, CRC-32 of the 20 bytes before it.
    /// </summary>
    public sealed class JournalPosition
    {
        private const uint Magic = 0x32504A49; // "IJP2" little-endian
        private const int CopyBytes = 24;
        private readonly IFileStore _files;
        private readonly string[] _names;
        private readonly byte[] _copy = new byte[CopyBytes];
        private uint _generation;
        private int _current = -1;

        /// <summary>Binds the position to the files prefix + "0" and prefix + "1".</summary>
        public JournalPosition(IFileStore files, string prefix)
        {
            _files = files;
            _names = new string[] { prefix + "0", prefix + "1" };
        }

        /// <summary>Segment where the undelivered records begin: every segment before it was delivered.</summary>
        public uint Segment { get; private set; }

        /// <summary>Every record up to this sequence number was delivered (or dropped).</summary>
        public uint Delivered { get; private set; }

        /// <summary>Lowest sequence number the next record may take.</summary>
        public uint NextSeq { get; private set; }

        /// <summary>Reads the newest intact copy; false when there is none (a new journal).</summary>
        public bool Load()
        {
            _current = -1;
            _generation = 0;
            for (int i = 0; i < 2; i++)
            {
                if (_files.Read(_names[i], 0, _copy, 0, CopyBytes) != CopyBytes) continue;
                if (RecordCodec.GetU32(_copy, 0) != Magic || RecordCodec.GetU32(_copy, 20) != Crc32.Compute(_copy, 0, 20)) continue;
                uint generation = RecordCodec.GetU32(_copy, 4);
                if (_current >= 0 && generation <= _generation) continue;
                _current = i;
                _generation = generation;
                Segment = RecordCodec.GetU32(_copy, 8);
                Delivered = RecordCodec.GetU32(_copy, 12);
                NextSeq = RecordCodec.GetU32(_copy, 16);
            }
            return _current >= 0;
        }

        /// <summary>Commits a new position into the copy that does not hold the current one.</summary>
        public void Save(uint segment, uint delivered, uint nextSeq)
        {
            int target = _current == 0 ? 1 : 0;
            RecordCodec.PutU32(_copy, 0, Magic);
            RecordCodec.PutU32(_copy, 4, _generation + 1);
            RecordCodec.PutU32(_copy, 8, segment);
            RecordCodec.PutU32(_copy, 12, delivered);
            RecordCodec.PutU32(_copy, 16, nextSeq);
            RecordCodec.PutU32(_copy, 20, Crc32.Compute(_copy, 0, 20));
            _files.Write(_names[target], 0, _copy, 0, CopyBytes);
            _current = target;
            _generation++;
            Segment = segment;
            Delivered = delivered;
            NextSeq = nextSeq;
        }
    }
}
