using System;
using Iot.Gateway.Hardware;
using Iot.Gateway.Journal;

namespace Iot.Gateway.Configuration
{
    /// <summary>
    /// Keeps the last accepted configuration document on a two-sector flash partition, alternating between
    /// the sectors: a power loss while writing one copy leaves the other intact. Copy layout: magic "IGC1",
    /// generation u32, length u16, the JSON bytes, CRC-32 of everything before it.
    /// </summary>
    public sealed class ConfigStore
    {
        private const uint Magic = 0x31434749; // "IGC1" little-endian
        private const int HeaderBytes = 10;
        private readonly IFlashStore _flash;
        private readonly byte[] _header = new byte[HeaderBytes];
        private readonly byte[] _crc = new byte[4];
        private uint _generation;
        private int _currentSector = -1;
        private bool _scanned;

        /// <summary>Binds the store to a partition of at least two sectors.</summary>
        public ConfigStore(IFlashStore flash)
        {
            if (flash == null) throw new ArgumentNullException("flash");
            if (flash.Size < 2 * flash.SectorSize) throw new ArgumentException("the config store needs two sectors");
            _flash = flash;
        }

        /// <summary>Largest document that fits.</summary>
        public int MaxDocumentBytes { get { return _flash.SectorSize - HeaderBytes - 4; } }

        /// <summary>Reads the newest intact copy into buffer; returns its length, or -1 when there is none.</summary>
        public int Load(byte[] buffer)
        {
            int best = -1;
            uint bestGeneration = 0;
            int bestLength = -1;
            for (int s = 0; s < 2; s++)
            {
                uint generation;
                int length = ReadCopy(s, buffer, out generation);
                if (length < 0) continue;
                if (best < 0 || generation > bestGeneration)
                {
                    best = s;
                    bestGeneration = generation;
                    bestLength = length;
                }
            }
            _currentSector = best;
            _generation = bestGeneration;
            _scanned = true;
            if (best < 0) return -1;
            return ReadCopy(best, buffer, out bestGeneration) == bestLength ? bestLength : -1;
        }

        /// <summary>Stores document[0..length) as the new current copy, in the sector not holding the current one.</summary>
        public void Save(byte[] document, int length)
        {
            if (length < 0 || length > MaxDocumentBytes) throw new ArgumentOutOfRangeException("length");
            // Never overwrite the newest copy, even when Load was not called first.
            if (!_scanned) Load(new byte[MaxDocumentBytes]);
            int target = _currentSector == 0 ? 1 : 0;
            uint generation = _generation + 1;
            int address = target * _flash.SectorSize;

            RecordCodec.PutU32(_header, 0, Magic);
            RecordCodec.PutU32(_header, 4, generation);
            _header[8] = (byte)length;
            _header[9] = (byte)(length >> 8);
            uint crc = Crc32Continue(Crc32Continue(0xFFFFFFFF, _header, 0, HeaderBytes), document, 0, length);
            RecordCodec.PutU32(_crc, 0, ~crc);

            _flash.EraseSector(target);
            _flash.Write(address, _header, 0, HeaderBytes);
            _flash.Write(address + HeaderBytes, document, 0, length);
            _flash.Write(address + HeaderBytes + length, _crc, 0, 4);
            _currentSector = target;
            _generation = generation;
        }

        private int ReadCopy(int sector, byte[] buffer, out uint generation)
        {
            int address = sector * _flash.SectorSize;
            _flash.Read(address, _header, 0, HeaderBytes);
            generation = RecordCodec.GetU32(_header, 4);
            int length = _header[8] | (_header[9] << 8);
            if (RecordCodec.GetU32(_header, 0) != Magic || length > MaxDocumentBytes || length > buffer.Length) return -1;
            _flash.Read(address + HeaderBytes, buffer, 0, length);
            _flash.Read(address + HeaderBytes + length, _crc, 0, 4);
            uint crc = ~Crc32Continue(Crc32Continue(0xFFFFFFFF, _header, 0, HeaderBytes), buffer, 0, length);
            return crc == RecordCodec.GetU32(_crc, 0) ? length : -1;
        }

        // CRC-32 over several pieces: start with 0xFFFFFFFF and complement at the end.
        private static uint Crc32Continue(uint crc, byte[] data, int offset, int count)
        {
            for (int i = offset; i < offset + count; i++)
            {
                crc ^= data[i];
                for (int bit = 0; bit < 8; bit++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
            return crc;
        }
    }
}
