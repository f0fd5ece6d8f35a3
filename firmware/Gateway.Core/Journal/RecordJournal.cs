using System;
using Iot.Gateway.Hardware;
using Iot.Gateway.Telemetry;

namespace Iot.Gateway.Journal
{
    /// <summary>
    /// Store-and-forward journal of records on NOR flash, used as a ring of sectors.
    /// <para>
    /// Sector: 16-byte header (magic "IJR1", sector sequence u32, next record seq u32, CRC-32 of the 12 bytes
    /// before it), then fixed slots. Slot: ack byte (0xFF = waiting for PUBACK, anything else = delivered),
    /// length byte (0xFF = free), the encoded record (RecordCodec), CRC-32 over length and record.
    /// </para>
    /// <para>
    /// Power loss: a record is written in one pass; a torn slot fails its CRC and is skipped for ever, a torn
    /// header makes its sector count as free. Open() scans the flash, finds the newest sector, the first free
    /// slot, the oldest undelivered record and the next sequence number, which therefore survives reboots.
    /// A record is marked delivered only after its PUBACK (Acknowledge), by clearing its ack byte.
    /// When the ring is full the oldest sector is erased even if it still holds undelivered records
    /// (DroppedRecords counts them): new data wins over data older than the journal's capacity.
    /// </para>
    /// </summary>
    public sealed class RecordJournal
    {
        /// <summary>Bytes of a sector header.</summary>
        public const int SectorHeaderBytes = 16;
        /// <summary>Bytes of a slot: ack, length, the largest record, CRC.</summary>
        public const int SlotBytes = 2 + RecordCodec.MaxBytes + 4;
        /// <summary>Most records one Peek can return.</summary>
        public const int MaxBatch = 200;

        private const uint Magic = 0x31524A49; // "IJR1" little-endian
        private const byte Free = 0xFF;

        private readonly IFlashStore _flash;
        private readonly int _sectors;
        private readonly int _slotsPerSector;
        private readonly byte[] _slot = new byte[SlotBytes];
        private readonly byte[] _header = new byte[SectorHeaderBytes];
        private readonly byte[] _ackMark = new byte[] { 0x00 };
        private readonly int[] _peeked = new int[MaxBatch];
        private readonly MinuteRecord _scratch = new MinuteRecord();
        private int _peekedCount;

        private int _headSector;
        private int _headSlot;
        private uint _headSectorSeq;
        private int _tailSector;
        private int _tailSlot;

        /// <summary>Binds the journal to a flash partition; call Open before use.</summary>
        public RecordJournal(IFlashStore flash)
        {
            if (flash == null) throw new ArgumentNullException("flash");
            if (flash.SectorSize < SectorHeaderBytes + SlotBytes || flash.Size % flash.SectorSize != 0) throw new ArgumentException("flash geometry");
            _flash = flash;
            _sectors = flash.Size / flash.SectorSize;
            if (_sectors < 2) throw new ArgumentException("the journal needs at least two sectors");
            _slotsPerSector = (flash.SectorSize - SectorHeaderBytes) / SlotBytes;
        }

        /// <summary>Records the journal is guaranteed to hold before it overwrites the oldest (one sector is always being recycled).</summary>
        public int Capacity { get { return (_sectors - 1) * _slotsPerSector; } }

        /// <summary>Records stored and not yet acknowledged.</summary>
        public int Pending { get; private set; }

        /// <summary>Sequence number the next appended record will get.</summary>
        public uint NextSeq { get; private set; }

        /// <summary>Undelivered records lost to ring wrap since Open.</summary>
        public int DroppedRecords { get; private set; }

        /// <summary>Torn or corrupt slots seen by the last Open.</summary>
        public int CorruptSlots { get; private set; }

        /// <summary>Recovers the journal's state from flash (formats it if it holds no journal).</summary>
        public void Open()
        {
            _peekedCount = 0;
            CorruptSlots = 0;
            int head = -1;
            uint headSeq = 0;
            uint nextSeq = 1;
            for (int s = 0; s < _sectors; s++)
            {
                uint sectorSeq;
                uint floor;
                if (!ReadHeader(s, out sectorSeq, out floor)) continue;
                if (head < 0 || sectorSeq > headSeq)
                {
                    head = s;
                    headSeq = sectorSeq;
                }
                if (floor > nextSeq) nextSeq = floor;
            }

            if (head < 0)
            {
                NextSeq = 1;
                FormatSector(0, 1);
                _tailSector = 0;
                _tailSlot = 0;
                Pending = 0;
                return;
            }

            _headSector = head;
            _headSectorSeq = headSeq;
            _headSlot = _slotsPerSector;
            for (int s = 0; s < _sectors; s++)
            {
                if (!HasHeader(s)) continue;
                for (int i = 0; i < _slotsPerSector; i++)
                {
                    int state = ReadSlot(s, i);
                    if (state == SlotFree)
                    {
                        if (s == head && i < _headSlot) _headSlot = i;
                        continue;
                    }
                    if (state == SlotCorrupt)
                    {
                        CorruptSlots++;
                        continue;
                    }
                    if (_scratch.Seq >= nextSeq) nextSeq = _scratch.Seq + 1;
                }
            }
            NextSeq = nextSeq;
            RecomputeTail();
        }

        /// <summary>Stores record durably, giving it the next sequence number (written into record.Seq).</summary>
        public void Append(MinuteRecord record)
        {
            if (_headSlot >= _slotsPerSector) AdvanceHead();

            record.Seq = NextSeq;
            int length = RecordCodec.Encode(record, _slot, 2);
            _slot[0] = Free;
            _slot[1] = (byte)length;
            uint crc = Crc32.Compute(_slot, 1, 1 + length);
            RecordCodec.PutU32(_slot, 2 + length, crc);

            // The ack byte stays erased; everything after it goes in one pass, length byte first.
            _flash.Write(SlotAddress(_headSector, _headSlot) + 1, _slot, 1, 1 + length + 4);
            _headSlot++;
            NextSeq++;
            Pending++;
        }

        /// <summary>
        /// Copies up to max of the oldest undelivered records, oldest first, into records[0..];
        /// returns how many. Acknowledge(n) then marks the first n of them delivered.
        /// </summary>
        public int Peek(MinuteRecord[] records, int max)
        {
            if (max > MaxBatch) max = MaxBatch;
            if (max > records.Length) max = records.Length;
            int n = 0;
            int sector = _tailSector;
            int slot = _tailSlot;
            for (int visited = 0; visited < _sectors && n < max; visited++)
            {
                if (HasHeader(sector))
                {
                    for (; slot < _slotsPerSector && n < max; slot++)
                    {
                        if (sector == _headSector && slot >= _headSlot) break;
                        if (ReadSlot(sector, slot) != SlotPending) continue;
                        records[n].CopyFrom(_scratch);
                        _peeked[n] = SlotAddress(sector, slot);
                        n++;
                    }
                }
                if (sector == _headSector) break;
                sector = (sector + 1) % _sectors;
                slot = 0;
            }
            _peekedCount = n;
            return n;
        }

        /// <summary>
        /// Marks the first count records of the last Peek as delivered (call after their PUBACK). If ring wrap
        /// erased them meanwhile, nothing is marked: an erased slot may already hold a newer record.
        /// Returns how many were marked.
        /// </summary>
        public int Acknowledge(int count)
        {
            if (count < 0) throw new ArgumentOutOfRangeException("count");
            if (count > _peekedCount) count = _peekedCount;
            for (int i = 0; i < count; i++)
            {
                _flash.Write(_peeked[i], _ackMark, 0, 1);
            }
            if (count > 0)
            {
                int last = _peeked[count - 1];
                int sector = last / _flash.SectorSize;
                int slot = (last % _flash.SectorSize - SectorHeaderBytes) / SlotBytes + 1;
                _tailSector = sector;
                _tailSlot = slot;
                Pending -= count;
            }
            _peekedCount = 0;
            return count;
        }

        private const int SlotFree = 0;
        private const int SlotCorrupt = 1;
        private const int SlotPending = 2;
        private const int SlotDelivered = 3;

        // Reads a slot; for a valid one the record is left in _scratch.
        private int ReadSlot(int sector, int slot)
        {
            int address = SlotAddress(sector, slot);
            _flash.Read(address, _slot, 0, SlotBytes);
            int length = _slot[1];
            if (length == Free)
            {
                for (int i = 0; i < SlotBytes; i++)
                {
                    if (_slot[i] != Free) return SlotCorrupt;
                }
                return SlotFree;
            }
            if (length > RecordCodec.MaxBytes) return SlotCorrupt;
            uint crc = Crc32.Compute(_slot, 1, 1 + length);
            if (crc != RecordCodec.GetU32(_slot, 2 + length)) return SlotCorrupt;
            if (!RecordCodec.Decode(_slot, 2, length, _scratch)) return SlotCorrupt;
            return _slot[0] == Free ? SlotPending : SlotDelivered;
        }

        private void RecomputeTail()
        {
            // Sectors follow each other around the ring; the oldest is the first valid one after the head.
            Pending = 0;
            bool found = false;
            for (int k = 1; k <= _sectors; k++)
            {
                int s = (_headSector + k) % _sectors;
                if (!HasHeader(s)) continue;
                int end = s == _headSector ? _headSlot : _slotsPerSector;
                for (int i = 0; i < end; i++)
                {
                    if (ReadSlot(s, i) != SlotPending) continue;
                    if (!found)
                    {
                        found = true;
                        _tailSector = s;
                        _tailSlot = i;
                    }
                    Pending++;
                }
            }
            if (!found)
            {
                _tailSector = _headSector;
                _tailSlot = _headSlot;
            }
        }

        private void AdvanceHead()
        {
            int next = (_headSector + 1) % _sectors;
            bool droppingTail = false;
            if (HasHeader(next))
            {
                for (int i = 0; i < _slotsPerSector; i++)
                {
                    if (ReadSlot(next, i) == SlotPending)
                    {
                        DroppedRecords++;
                        droppingTail = true;
                    }
                }
            }
            // Peeked records in the sector about to be erased can no longer be acknowledged by address.
            for (int i = 0; i < _peekedCount; i++)
            {
                if (_peeked[i] / _flash.SectorSize == next) _peekedCount = 0;
            }
            FormatSector(next, _headSectorSeq + 1);
            if (droppingTail || _tailSector == next) RecomputeTail();
        }

        private void FormatSector(int sector, uint sectorSeq)
        {
            _flash.EraseSector(sector);
            RecordCodec.PutU32(_header, 0, Magic);
            RecordCodec.PutU32(_header, 4, sectorSeq);
            RecordCodec.PutU32(_header, 8, NextSeq);
            RecordCodec.PutU32(_header, 12, Crc32.Compute(_header, 0, 12));
            _headSector = sector;
            _headSlot = 0;
            _headSectorSeq = sectorSeq;
            _flash.Write(sector * _flash.SectorSize, _header, 0, SectorHeaderBytes);
        }

        private bool HasHeader(int sector)
        {
            uint sectorSeq;
            uint floor;
            return ReadHeader(sector, out sectorSeq, out floor);
        }

        private bool ReadHeader(int sector, out uint sectorSeq, out uint nextSeqFloor)
        {
            _flash.Read(sector * _flash.SectorSize, _header, 0, SectorHeaderBytes);
            sectorSeq = RecordCodec.GetU32(_header, 4);
            nextSeqFloor = RecordCodec.GetU32(_header, 8);
            return RecordCodec.GetU32(_header, 0) == Magic && RecordCodec.GetU32(_header, 12) == Crc32.Compute(_header, 0, 12);
        }

        private int SlotAddress(int sector, int slot)
        {
            return sector * _flash.SectorSize + SectorHeaderBytes + slot * SlotBytes;
        }
    }
}
