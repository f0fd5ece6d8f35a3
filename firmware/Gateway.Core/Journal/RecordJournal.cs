using System;
using Iot.Gateway.Hardware;
using Iot.Gateway.Telemetry;

namespace Iot.Gateway.Journal
{
    /// <summary>
    /// Store-and-forward journal of records, written for littlefs (firmware/README.md, "The journal on flash").
    /// <para>
    /// littlefs commits a file only on close, and appending to a file whose last block is partly filled copies that
    /// block to a fresh one, while a file of at most 512 bytes lives inline in its directory's metadata log. So each
    /// record is appended, committed, to a small staging file ("jstage", at most StagingBytes, inline), and when it is
    /// full its frames move in one append to the head segment file: one block copy per staging file instead of one
    /// per record. Segment files ("j0" … "jN-1": the segment index modulo N picks the name) hold a header (magic
    /// "IJS1", segment index u32) and frames; a frame is the record length u8, the record (RecordCodec) and a CRC-32
    /// over both. A frame that fails its CRC (a damaged block) ends its segment, and appends go on in a new one.
    /// </para>
    /// <para>
    /// Delivery is recorded by sequence number in JournalPosition (two copies) after each PUBACK, and segments whose
    /// records are all delivered are then deleted. Every step is one committed file operation, so a power cut between
    /// two of them leaves a state Open() resolves: staging frames already moved into a segment (a cut before the
    /// staging file's deletion) are recognised by their sequence numbers and dropped; segments before the recorded
    /// one are deleted again. When the ring is full the oldest segment is deleted even if it holds undelivered
    /// records (DroppedRecords counts them): new data wins over data older than the capacity.
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
        /// <summary>Staging file on the ESP32: littlefs's inline limit there (esp_littlefs's 512-byte cache).</summary>
        public const int DefaultStagingBytes = 512;

        private const uint SegmentMagic = 0x31534A49; // "IJS1" little-endian
        private const string StagingName = "jstage";
        private const uint InStaging = uint.MaxValue; // segment number of a peeked record still in the staging file

        private readonly IFileStore _files;
        private readonly int _segmentBytes;
        private readonly int _segments;
        private readonly int _stagingBytes;
        private readonly string[] _names;
        private readonly JournalPosition _position;
        private readonly byte[] _frame = new byte[MaxFrameBytes];
        private readonly byte[] _segment;
        private readonly byte[] _staging;
        private readonly byte[] _move;
        private readonly uint[] _peekedSegment = new uint[MaxBatch];
        private readonly int[] _peekedEnd = new int[MaxBatch];
        private readonly uint[] _peekedSeq = new uint[MaxBatch];
        private readonly MinuteRecord _scratch = new MinuteRecord();
        private int _peekedCount;

        private bool _hasSegments;
        private uint _first;
        private uint _head;
        private int _headLength;
        private bool _headSealed;
        private int _stagingLength;

        // The oldest undelivered record (or the end): in the staging file, or in a segment.
        private bool _tailInStaging;
        private uint _tailSegment;
        private int _tailOffset;

        private bool _loaded;
        private uint _loadedIndex;
        private int _loadedLength;

        /// <summary>A journal of the ESP32's size in files; call Open before use.</summary>
        public RecordJournal(IFileStore files) : this(files, DefaultSegmentBytes, DefaultSegments, DefaultStagingBytes)
        {
        }

        /// <summary>A journal of segments files of segmentBytes each, staged DefaultStagingBytes at a time; call Open before use.</summary>
        public RecordJournal(IFileStore files, int segmentBytes, int segments) : this(files, segmentBytes, segments, DefaultStagingBytes)
        {
        }

        /// <summary>A journal of segments files of segmentBytes each, staged stagingBytes at a time; call Open before use.</summary>
        public RecordJournal(IFileStore files, int segmentBytes, int segments, int stagingBytes)
        {
            if (files == null) throw new ArgumentNullException("files");
            if (stagingBytes < MaxFrameBytes) throw new ArgumentOutOfRangeException("stagingBytes");
            if (segmentBytes < SegmentHeaderBytes + stagingBytes) throw new ArgumentOutOfRangeException("segmentBytes");
            if (segments < 2) throw new ArgumentException("the journal needs at least two segments");
            _files = files;
            _segmentBytes = segmentBytes;
            _segments = segments;
            _stagingBytes = stagingBytes;
            _segment = new byte[segmentBytes];
            _staging = new byte[stagingBytes];
            _move = new byte[SegmentHeaderBytes + stagingBytes];
            _names = new string[segments];
            for (int i = 0; i < segments; i++) _names[i] = "j" + i.ToString();
            _position = new JournalPosition(files, "jpos");
        }

        /// <summary>Records of the largest kind the journal is guaranteed to hold before it drops the oldest (one segment is always being filled).</summary>
        public int Capacity { get { return CapacityFor(RecordCodec.MaxBytes); } }

        /// <summary>Records of recordBytes each (RecordCodec's length) it is guaranteed to hold.</summary>
        public int CapacityFor(int recordBytes)
        {
            int frame = recordBytes + FrameOverheadBytes;
            // A segment receives whole staging loads, so it may close with up to a staging file unused.
            int perSegment = (_segmentBytes - SegmentHeaderBytes - _stagingBytes) / frame;
            return (_segments - 1) * perSegment + _stagingBytes / frame;
        }

        /// <summary>Records stored and not yet acknowledged.</summary>
        public int Pending { get; private set; }

        /// <summary>Sequence number the next appended record will get.</summary>
        public uint NextSeq { get; private set; }

        /// <summary>Undelivered records lost to ring wrap since Open.</summary>
        public int DroppedRecords { get; private set; }

        /// <summary>Damaged frames seen by the last Open (each ends its file).</summary>
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
            uint delivered = hasPosition ? _position.Delivered : 0;
            uint nextSeq = hasPosition && _position.NextSeq > 0 ? _position.NextSeq : 1;
            if (!_hasSegments) _first = _head = hasPosition ? _position.Segment : 0;
            // Segments before the recorded one were delivered; a power cut came before their deletion.
            while (_hasSegments && hasPosition && _first < _position.Segment && _first < _head)
            {
                _files.Delete(NameOf(_first));
                _first++;
            }

            bool tailFound = false;
            uint lastSeq = 0;
            _headLength = _hasSegments ? _files.Length(NameOf(_head)) : 0;
            for (uint s = _first; _hasSegments && s <= _head && s >= _first; s++)
            {
                int length = LoadSegment(s);
                int offset = SegmentHeaderBytes;
                while (offset < length)
                {
                    int frame = ReadFrame(_segment, offset, length, _scratch);
                    if (frame < 0)
                    {
                        CorruptFrames++;
                        if (s == _head) _headSealed = true;
                        break;
                    }
                    if (_scratch.Seq > delivered)
                    {
                        if (!tailFound) SetTail(s, offset);
                        tailFound = true;
                        Pending++;
                    }
                    lastSeq = _scratch.Seq;
                    offset += frame;
                }
            }

            int staged = _files.Read(StagingName, 0, _staging, 0, _stagingBytes);
            int valid = 0;
            bool moved = false;
            while (valid < staged)
            {
                int frame = ReadFrame(_staging, valid, staged, _scratch);
                if (frame < 0) break;
                if (valid == 0 && _scratch.Seq <= lastSeq)
                {
                    moved = true; // moved into a segment just before a power cut: the segment has them
                    break;
                }
                if (_scratch.Seq > delivered)
                {
                    if (!tailFound) SetTailInStaging(valid);
                    tailFound = true;
                    Pending++;
                }
                lastSeq = _scratch.Seq;
                valid += frame;
            }
            _stagingLength = valid;
            if (!tailFound) SetTailInStaging(valid);
            NextSeq = lastSeq >= nextSeq ? lastSeq + 1 : nextSeq;
            if (valid < staged)
            {
                // The rest of the staging file goes: moved frames, or a damaged end (after its valid frames move on).
                if (!moved) CorruptFrames++;
                if (valid > 0) MoveStaging();
                else _files.Delete(StagingName);
            }
        }

        /// <summary>Stores record durably, giving it the next sequence number (written into record.Seq).</summary>
        public void Append(MinuteRecord record)
        {
            record.Seq = NextSeq;
            int length = RecordCodec.Encode(record, _frame, 1);
            _frame[0] = (byte)length;
            RecordCodec.PutU32(_frame, 1 + length, Crc32.Compute(_frame, 0, 1 + length));
            int frameLength = length + FrameOverheadBytes;

            if (_stagingLength + frameLength > _stagingBytes) MoveStaging();
            _files.Append(StagingName, _frame, 0, frameLength);
            Array.Copy(_frame, 0, _staging, _stagingLength, frameLength);
            _stagingLength += frameLength;
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
            int offset = _tailOffset;
            if (!_tailInStaging)
            {
                uint segment = _tailSegment;
                while (n < max && _hasSegments && segment <= _head)
                {
                    int length = LoadSegment(segment);
                    if (offset < SegmentHeaderBytes) offset = SegmentHeaderBytes;
                    while (n < max && offset < length)
                    {
                        int frame = ReadFrame(_segment, offset, length, records[n]);
                        if (frame < 0) break; // damaged: the rest of this segment is lost
                        offset += frame;
                        Peeked(n++, segment, offset, records);
                    }
                    segment++;
                    offset = SegmentHeaderBytes;
                }
                offset = 0;
            }
            while (n < max && offset < _stagingLength)
            {
                int frame = ReadFrame(_staging, offset, _stagingLength, records[n]);
                if (frame < 0) break;
                offset += frame;
                Peeked(n++, InStaging, offset, records);
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
            if (segment != InStaging && segment < _head && offset >= LoadSegment(segment))
            {
                segment++;
                offset = SegmentHeaderBytes;
            }
            // Segments before this one are delivered; the head stays (it carries the sequence numbers on).
            uint keep = segment == InStaging ? _head : segment;
            _position.Save(keep, _peekedSeq[count - 1], NextSeq);
            if (segment == InStaging) SetTailInStaging(offset);
            else SetTail(segment, offset);
            Pending -= count;
            while (_hasSegments && _first < keep && _first < _head)
            {
                _files.Delete(NameOf(_first));
                _first++;
            }
            return count;
        }

        private void Peeked(int i, uint segment, int end, MinuteRecord[] records)
        {
            _peekedSegment[i] = segment;
            _peekedEnd[i] = end;
            _peekedSeq[i] = records[i].Seq;
        }

        private void SetTail(uint segment, int offset)
        {
            _tailInStaging = false;
            _tailSegment = segment;
            _tailOffset = offset;
        }

        private void SetTailInStaging(int offset)
        {
            _tailInStaging = true;
            _tailOffset = offset;
        }

        // Moves the staging file's frames into the head segment (or a new one) in one append, then deletes it.
        private void MoveStaging()
        {
            if (_stagingLength == 0) return;
            uint target;
            int at;
            if (_hasSegments && !_headSealed && _headLength + _stagingLength <= _segmentBytes)
            {
                _files.Append(NameOf(_head), _staging, 0, _stagingLength);
                target = _head;
                at = _headLength;
                _headLength += _stagingLength;
            }
            else
            {
                Array.Copy(_staging, 0, _move, SegmentHeaderBytes, _stagingLength);
                target = StartSegment(SegmentHeaderBytes + _stagingLength);
                at = SegmentHeaderBytes;
            }
            _files.Delete(StagingName);
            if (_tailInStaging) SetTail(target, at + _tailOffset);
            for (int i = 0; i < _peekedCount; i++)
            {
                if (_peekedSegment[i] != InStaging) continue;
                _peekedSegment[i] = target;
                _peekedEnd[i] += at;
            }
            _stagingLength = 0;
        }

        // Writes _move[0..length) (header space first) as the next segment; returns its index.
        private uint StartSegment(int length)
        {
            uint index = _hasSegments ? _head + 1 : _head;
            // A loaded copy of the old head may lack its last appends; the head check in LoadSegment no longer sees it.
            if (_loaded && _loadedIndex == _head) _loaded = false;
            if (_hasSegments && index - _first >= (uint)_segments) DropOldest();
            string name = NameOf(index);
            if (_files.Length(name) >= 0) _files.Delete(name);
            RecordCodec.PutU32(_move, 0, SegmentMagic);
            RecordCodec.PutU32(_move, 4, index);
            _files.Append(name, _move, 0, length);
            if (!_hasSegments) _first = index;
            _hasSegments = true;
            _head = index;
            _headLength = length;
            _headSealed = false;
            return index;
        }

        private void DropOldest()
        {
            uint oldest = _first;
            if (!_tailInStaging && _tailSegment <= oldest)
            {
                int lost = 0;
                uint lastSeq = 0;
                int length = LoadSegment(oldest);
                int offset = _tailOffset > SegmentHeaderBytes ? _tailOffset : SegmentHeaderBytes;
                while (offset < length)
                {
                    int frame = ReadFrame(_segment, offset, length, _scratch);
                    if (frame < 0) break;
                    offset += frame;
                    lastSeq = _scratch.Seq;
                    lost++;
                }
                DroppedRecords += lost;
                Pending -= lost;
                if (lost > 0) _position.Save(oldest + 1, lastSeq, NextSeq);
                SetTail(oldest + 1, SegmentHeaderBytes);
            }
            // Peeked records of the dropped segment can no longer be acknowledged.
            for (int i = 0; i < _peekedCount; i++)
            {
                if (_peekedSegment[i] == oldest) _peekedCount = 0;
            }
            _files.Delete(NameOf(oldest));
            _first = oldest + 1;
        }

        // Reads the frame at offset of buffer into record; returns the frame's length, or -1 when it is damaged.
        private static int ReadFrame(byte[] buffer, int offset, int length, MinuteRecord record)
        {
            int recordLength = buffer[offset];
            int frameLength = recordLength + FrameOverheadBytes;
            if (recordLength > RecordCodec.MaxBytes || offset + frameLength > length) return -1;
            if (Crc32.Compute(buffer, offset, 1 + recordLength) != RecordCodec.GetU32(buffer, offset + 1 + recordLength)) return -1;
            if (!RecordCodec.Decode(buffer, offset + 1, recordLength, record)) return -1;
            return frameLength;
        }

        // Reads segment index into the buffer (the head only from where the last read ended); returns its length, or
        // -1 when it is missing or not that segment.
        private int LoadSegment(uint index)
        {
            if (_loaded && _loadedIndex == index && !(index == _head && _loadedLength < _headLength)) return _loadedLength;
            int length = _loaded && _loadedIndex == index ? _loadedLength : 0;
            _loaded = false;
            string name = NameOf(index);
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
