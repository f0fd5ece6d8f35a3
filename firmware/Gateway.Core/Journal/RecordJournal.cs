using System;
using Iot.Gateway.Hardware;
using Iot.Gateway.Telemetry;

namespace Iot.Gateway.Journal
{
    /// <summary>
    /// Store-and-forward journal of records in append-only segment files, written for littlefs (firmware/README.md,
    /// "The journal on flash").
    /// <para>
    /// Segment file (one of a fixed ring of names, "j0" … "jN-1", the segment index modulo N picks the name): header
    /// magic "IJS1" and segment index u32, then frames. Frame: record length u8, the encoded record (RecordCodec),
    /// CRC-32 over length and record. Each Append is one committed file append, so after a power cut a segment holds
    /// whole frames only; a frame that still fails its CRC (a damaged block) ends its segment, and appends go on in a
    /// new one. Where delivery stands is kept in JournalPosition (two copies), written after each PUBACK, which is
    /// also when segments read to their end are deleted.
    /// </para>
    /// <para>
    /// Open() reads the segment headers and the position, counts the undelivered records and finds the next sequence
    /// number, which therefore survives reboots. When the ring is full the oldest segment is deleted even if it still
    /// holds undelivered records (DroppedRecords counts them): new data wins over data older than the capacity.
    /// </para>
    /// </summary>
    public sealed class RecordJournal
    {
        /// <summary>Bytes of a segment header.</summary>
        public const int SegmentHeaderBytes = 8;
        /// <summary>Bytes a frame adds to its record: the length byte and the CRC.</summary>
        public const int FrameOverheadBytes = 5;
        /// <summary>Largest frame.</summary>
        public const int MaxFrameBytes = RecordCodec.MaxBytes + FrameOverheadBytes;
        /// <summary>Most records one Peek can return.</summary>
        public const int MaxBatch = 200;
        /// <summary>Segment size on the ESP32: one 4 KiB littlefs block.</summary>
        public const int DefaultSegmentBytes = 4096;
        /// <summary>Segments on the ESP32: 512 KiB, over 72 hours of minute records of any site kind (see Capacity).</summary>
        public const int DefaultSegments = 128;

        private const uint SegmentMagic = 0x31534A49; // "IJS1" little-endian

        private readonly IFileStore _files;
        private readonly int _segmentBytes;
        private readonly int _segments;
        private readonly string[] _names;
        private readonly JournalPosition _position;
        private readonly byte[] _frame = new byte[SegmentHeaderBytes + MaxFrameBytes];
        private readonly byte[] _segment;
        private readonly uint[] _peekedSegment = new uint[MaxBatch];
        private readonly int[] _peekedEnd = new int[MaxBatch];
        private readonly MinuteRecord _scratch = new MinuteRecord();
        private int _peekedCount;

        private bool _hasSegments;
        private uint _first;
        private uint _head;
        private int _headLength;
        private bool _headSealed;
        private uint _tailSegment;
        private int _tailOffset;

        private bool _loaded;
        private uint _loadedIndex;
        private int _loadedLength;

        /// <summary>A journal of the ESP32's size (DefaultSegments of DefaultSegmentBytes) in files; call Open before use.</summary>
        public RecordJournal(IFileStore files) : this(files, DefaultSegmentBytes, DefaultSegments)
        {
        }

        /// <summary>A journal of segments files of segmentBytes each; call Open before use.</summary>
        public RecordJournal(IFileStore files, int segmentBytes, int segments)
        {
            if (files == null) throw new ArgumentNullException("files");
            if (segmentBytes < SegmentHeaderBytes + MaxFrameBytes) throw new ArgumentOutOfRangeException("segmentBytes");
            if (segments < 2) throw new ArgumentException("the journal needs at least two segments");
            _files = files;
            _segmentBytes = segmentBytes;
            _segments = segments;
            _segment = new byte[segmentBytes];
            _names = new string[segments];
            for (int i = 0; i < segments; i++) _names[i] = "j" + i.ToString();
            _position = new JournalPosition(files, "jpos");
        }

        /// <summary>Records of the largest kind the journal is guaranteed to hold before it drops the oldest (one segment is always being filled).</summary>
        public int Capacity { get { return (_segments - 1) * ((_segmentBytes - SegmentHeaderBytes) / MaxFrameBytes); } }

        /// <summary>Records of recordBytes each (RecordCodec's length) it is guaranteed to hold.</summary>
        public int CapacityFor(int recordBytes)
        {
            return (_segments - 1) * ((_segmentBytes - SegmentHeaderBytes) / (recordBytes + FrameOverheadBytes));
        }

        /// <summary>Records stored and not yet acknowledged.</summary>
        public int Pending { get; private set; }

        /// <summary>Sequence number the next appended record will get.</summary>
        public uint NextSeq { get; private set; }

        /// <summary>Undelivered records lost to ring wrap since Open.</summary>
        public int DroppedRecords { get; private set; }

        /// <summary>Damaged frames seen by the last Open (each ends its segment).</summary>
        public int CorruptFrames { get; private set; }

        /// <summary>Recovers the journal's state from its files (an empty journal when there are none).</summary>
        public void Open()
        {
            _peekedCount = 0;
            _loaded = false;
            CorruptFrames = 0;
            Pending = 0;
            _headSealed = false;
            _hasSegments = false;
            for (int slot = 0; slot < _segments; slot++)
            {
                uint index;
                if (!ReadHeader(slot, out index))
                {
                    // Not a segment of this ring position: a damaged header or a stray file. Its records are lost.
                    if (_files.Length(_names[slot]) >= 0) _files.Delete(_names[slot]);
                    continue;
                }
                if (!_hasSegments || index < _first) _first = index;
                if (!_hasSegments || index > _head) _head = index;
                _hasSegments = true;
            }

            bool hasPosition = _position.Load();
            uint nextSeq = hasPosition && _position.NextSeq > 0 ? _position.NextSeq : 1;
            if (!_hasSegments)
            {
                _first = _head = hasPosition ? _position.Segment : 0;
                _tailSegment = _head;
                _tailOffset = SegmentHeaderBytes;
                _headLength = 0;
                NextSeq = nextSeq;
                return;
            }

            _tailSegment = _first;
            _tailOffset = SegmentHeaderBytes;
            if (hasPosition && _position.Segment > _first)
            {
                _tailSegment = _position.Segment > _head ? _head + 1 : _position.Segment;
                // Segments before the position were delivered; a power cut came before their deletion.
                while (_first < _tailSegment && _first < _head)
                {
                    _files.Delete(NameOf(_first));
                    _first++;
                }
            }
            if (hasPosition && _position.Segment == _tailSegment) _tailOffset = _position.Offset;

            _headLength = _files.Length(NameOf(_head));
            uint lastSeq = 0;
            for (uint s = _tailSegment; s <= _head && s >= _tailSegment; s++)
            {
                int length = LoadSegment(s);
                if (length < 0) continue;
                int offset = s == _tailSegment && _tailOffset > SegmentHeaderBytes ? _tailOffset : SegmentHeaderBytes;
                while (offset < length)
                {
                    int frame = ReadFrame(offset, length, _scratch);
                    if (frame < 0)
                    {
                        CorruptFrames++;
                        if (s == _head) _headSealed = true;
                        break;
                    }
                    offset += frame;
                    Pending++;
                    lastSeq = _scratch.Seq;
                }
            }
            if (_tailSegment > _head)
            {
                // Everything delivered: the tail rests at the end of the head segment.
                _tailSegment = _head;
                _tailOffset = _headLength;
            }
            NextSeq = lastSeq >= nextSeq ? lastSeq + 1 : nextSeq;
        }

        /// <summary>Stores record durably, giving it the next sequence number (written into record.Seq).</summary>
        public void Append(MinuteRecord record)
        {
            record.Seq = NextSeq;
            int length = RecordCodec.Encode(record, _frame, SegmentHeaderBytes + 1);
            _frame[SegmentHeaderBytes] = (byte)length;
            RecordCodec.PutU32(_frame, SegmentHeaderBytes + 1 + length, Crc32.Compute(_frame, SegmentHeaderBytes, 1 + length));
            int frameLength = length + FrameOverheadBytes;

            if (!_hasSegments || _headSealed || _headLength + frameLength > _segmentBytes)
            {
                StartSegment(frameLength);
            }
            else
            {
                _files.Append(NameOf(_head), _frame, SegmentHeaderBytes, frameLength);
                _headLength += frameLength;
            }
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
            uint segment = _tailSegment;
            int offset = _tailOffset;
            while (n < max && _hasSegments && segment <= _head)
            {
                int length = LoadSegment(segment);
                if (offset < SegmentHeaderBytes) offset = SegmentHeaderBytes;
                while (n < max && offset < length)
                {
                    int frame = ReadFrame(offset, length, records[n]);
                    if (frame < 0) break; // damaged: the rest of this segment is lost
                    offset += frame;
                    _peekedSegment[n] = segment;
                    _peekedEnd[n] = offset;
                    n++;
                }
                if (n == max) break;
                segment++;
                offset = SegmentHeaderBytes;
            }
            _peekedCount = n;
            return n;
        }

        /// <summary>
        /// Marks the first count records of the last Peek as delivered (call after their PUBACK) and deletes the
        /// segments read to their end. If ring wrap dropped them meanwhile, nothing is marked. Returns how many were marked.
        /// </summary>
        public int Acknowledge(int count)
        {
            if (count < 0) throw new ArgumentOutOfRangeException("count");
            if (count > _peekedCount) count = _peekedCount;
            _peekedCount = 0;
            if (count == 0) return 0;

            uint segment = _peekedSegment[count - 1];
            int offset = _peekedEnd[count - 1];
            // A segment read to its end hands the tail on to the next one, so that it can go.
            if (segment < _head && offset >= LoadSegment(segment))
            {
                segment++;
                offset = SegmentHeaderBytes;
            }
            _position.Save(segment, offset, NextSeq);
            _tailSegment = segment;
            _tailOffset = offset;
            Pending -= count;
            while (_first < segment)
            {
                _files.Delete(NameOf(_first));
                _first++;
            }
            return count;
        }

        private void StartSegment(int frameLength)
        {
            uint index = _hasSegments ? _head + 1 : _head;
            // A loaded copy of the old head may lack its last appends; the head check in LoadSegment no longer sees it.
            if (_loaded && _loadedIndex == _head) _loaded = false;
            if (_hasSegments && index - _first >= (uint)_segments) DropOldest();
            string name = NameOf(index);
            if (_files.Length(name) >= 0) _files.Delete(name);
            RecordCodec.PutU32(_frame, 0, SegmentMagic);
            RecordCodec.PutU32(_frame, 4, index);
            // Header and first frame in one commit: a segment file never exists without a record.
            _files.Append(name, _frame, 0, SegmentHeaderBytes + frameLength);
            if (!_hasSegments) _first = index;
            _hasSegments = true;
            _head = index;
            _headLength = SegmentHeaderBytes + frameLength;
            _headSealed = false;
        }

        private void DropOldest()
        {
            uint oldest = _first;
            if (_tailSegment <= oldest)
            {
                int lost = 0;
                int length = LoadSegment(oldest);
                int offset = _tailSegment == oldest && _tailOffset > SegmentHeaderBytes ? _tailOffset : SegmentHeaderBytes;
                while (offset < length)
                {
                    int frame = ReadFrame(offset, length, _scratch);
                    if (frame < 0) break;
                    offset += frame;
                    lost++;
                }
                DroppedRecords += lost;
                Pending -= lost;
                _position.Save(oldest + 1, SegmentHeaderBytes, NextSeq);
                _tailSegment = oldest + 1;
                _tailOffset = SegmentHeaderBytes;
            }
            // Peeked records of the dropped segment can no longer be acknowledged.
            for (int i = 0; i < _peekedCount; i++)
            {
                if (_peekedSegment[i] == oldest) _peekedCount = 0;
            }
            _files.Delete(NameOf(oldest));
            _first = oldest + 1;
        }

        // Reads frame at offset of the loaded segment into record; returns the frame's length, or -1 when it is damaged.
        private int ReadFrame(int offset, int length, MinuteRecord record)
        {
            int recordLength = _segment[offset];
            int frameLength = recordLength + FrameOverheadBytes;
            if (recordLength > RecordCodec.MaxBytes || offset + frameLength > length) return -1;
            if (Crc32.Compute(_segment, offset, 1 + recordLength) != RecordCodec.GetU32(_segment, offset + 1 + recordLength)) return -1;
            if (!RecordCodec.Decode(_segment, offset + 1, recordLength, record)) return -1;
            return frameLength;
        }

        // Reads segment index into the buffer (the head only from where the last read ended); returns its length, or
        // -1 when it is missing or not that segment.
        private int LoadSegment(uint index)
        {
            if (_loaded && _loadedIndex == index && !(index == _head && _loadedLength < _headLength)) return _loadedLength;
            int from = _loaded && _loadedIndex == index ? _loadedLength : 0;
            if (from == 0) _loaded = false;
            string name = NameOf(index);
            int length = from;
            while (length < _segmentBytes)
            {
                int n = _files.Read(name, length, _segment, length, _segmentBytes - length);
                if (n <= 0) break;
                length += n;
            }
            if (length < SegmentHeaderBytes || RecordCodec.GetU32(_segment, 0) != SegmentMagic || RecordCodec.GetU32(_segment, 4) != index) return -1;
            _loaded = true;
            _loadedIndex = index;
            _loadedLength = length;
            return length;
        }

        private bool ReadHeader(int slot, out uint index)
        {
            index = 0;
            if (_files.Read(_names[slot], 0, _frame, 0, SegmentHeaderBytes) != SegmentHeaderBytes) return false;
            index = RecordCodec.GetU32(_frame, 4);
            return RecordCodec.GetU32(_frame, 0) == SegmentMagic && index % (uint)_segments == (uint)slot;
        }

        private string NameOf(uint index)
        {
            return _names[(int)(index % (uint)_segments)];
        }
    }
}
