using System;

namespace Iot.Gateway.Hardware
{
    /// <summary>
    /// A small NOR-flash partition kept in one file of an IFileStore, for the stores written a few times a day
    /// (configuration, credentials, boot log, OTA job): erased bytes read 0xFF, a write only clears bits and an erase
    /// sets a sector back to 0xFF. Every operation is one committed file write, so a power cut leaves each write
    /// whole or absent (stronger than NOR, where the stores' CRCs catch a torn write). On littlefs a write inside a
    /// file copies the blocks from there to the end; the files are two sectors, so that is at most two erases.
    /// </summary>
    public sealed class FileFlashStore : IFlashStore
    {
        private const int ChunkBytes = 256;
        private readonly IFileStore _files;
        private readonly string _name;
        private readonly int _size;
        private readonly int _sectorSize;
        private readonly byte[] _chunk = new byte[ChunkBytes];
        private bool _ready;

        /// <summary>Binds the partition to file name; the file is created (all 0xFF) at first use when missing or of another size.</summary>
        public FileFlashStore(IFileStore files, string name, int size, int sectorSize)
        {
            if (files == null) throw new ArgumentNullException("files");
            if (sectorSize <= 0 || size <= 0 || size % sectorSize != 0) throw new ArgumentException("size must be a whole number of sectors");
            _files = files;
            _name = name;
            _size = size;
            _sectorSize = sectorSize;
        }

        /// <inheritdoc />
        public int Size { get { return _size; } }

        /// <inheritdoc />
        public int SectorSize { get { return _sectorSize; } }

        /// <inheritdoc />
        public void Read(int address, byte[] buffer, int offset, int count)
        {
            Check(address, count);
            EnsureFile();
            int done = 0;
            while (done < count)
            {
                int n = _files.Read(_name, address + done, buffer, offset + done, count - done);
                if (n <= 0) throw new InvalidOperationException("flash file shorter than its size");
                done += n;
            }
        }

        /// <inheritdoc />
        public void Write(int address, byte[] buffer, int offset, int count)
        {
            Check(address, count);
            EnsureFile();
            for (int done = 0; done < count; done += ChunkBytes)
            {
                int n = count - done < ChunkBytes ? count - done : ChunkBytes;
                Read(address + done, _chunk, 0, n);
                for (int i = 0; i < n; i++) _chunk[i] = (byte)(_chunk[i] & buffer[offset + done + i]);
                _files.Write(_name, address + done, _chunk, 0, n);
            }
        }

        /// <inheritdoc />
        public void EraseSector(int sectorIndex)
        {
            Check(sectorIndex * _sectorSize, _sectorSize);
            EnsureFile();
            Fill(sectorIndex * _sectorSize, _sectorSize);
        }

        // A file of the wrong size (new, or cut short while being created) is started again, all erased.
        private void EnsureFile()
        {
            if (_ready) return;
            if (_files.Length(_name) != _size)
            {
                _files.Delete(_name);
                Fill(0, _size);
            }
            _ready = true;
        }

        private void Fill(int address, int count)
        {
            for (int i = 0; i < ChunkBytes; i++) _chunk[i] = 0xFF;
            for (int done = 0; done < count; done += ChunkBytes)
            {
                _files.Write(_name, address + done, _chunk, 0, count - done < ChunkBytes ? count - done : ChunkBytes);
            }
        }

        private void Check(int address, int count)
        {
            if (address < 0 || count < 0 || address + count > _size) throw new ArgumentOutOfRangeException("address");
        }
    }
}
