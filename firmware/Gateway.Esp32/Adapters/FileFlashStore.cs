using System;
using System.IO;
using Iot.Gateway.Hardware;

namespace Iot.Gateway.Esp32.Adapters
{
    /// <summary>
    /// IFlashStore as a fixed-size file on the ESP32's internal flash drive "I:\" (SPIFFS/LittleFS partition of the
    /// nanoFramework image). It keeps NOR semantics for the journal: a new file is filled with 0xFF, a write can
    /// only clear bits (new bytes are ANDed with the old) and an erase sets a whole sector back to 0xFF. The file
    /// system below does its own wear levelling; the journal only needs these semantics to stay correct.
    /// </summary>
    public sealed class FileFlashStore : IFlashStore
    {
        private const int ChunkBytes = 256;
        private readonly FileStream _file;
        private readonly int _size;
        private readonly int _sectorSize;
        private readonly byte[] _old = new byte[ChunkBytes];
        private readonly byte[] _erased = new byte[ChunkBytes];

        /// <summary>Opens path, creating it (all 0xFF) when it is missing or has another size.</summary>
        public FileFlashStore(string path, int size, int sectorSize)
        {
            if (sectorSize <= 0 || size <= 0 || size % sectorSize != 0) throw new ArgumentException("size must be a whole number of sectors");
            _size = size;
            _sectorSize = sectorSize;
            for (int i = 0; i < ChunkBytes; i++) _erased[i] = 0xFF;

            if (File.Exists(path))
            {
                _file = new FileStream(path, FileMode.Open);
                if (_file.Length == size) return;
                _file.Close();
            }
            _file = new FileStream(path, FileMode.Create);
            for (int written = 0; written < size; written += ChunkBytes)
            {
                int n = size - written < ChunkBytes ? size - written : ChunkBytes;
                _file.Write(_erased, 0, n);
            }
            _file.Flush();
        }

        /// <inheritdoc />
        public int Size
        {
            get { return _size; }
        }

        /// <inheritdoc />
        public int SectorSize
        {
            get { return _sectorSize; }
        }

        /// <inheritdoc />
        public void Read(int address, byte[] buffer, int offset, int count)
        {
            Check(address, count);
            _file.Seek(address, SeekOrigin.Begin);
            int done = 0;
            while (done < count)
            {
                int n = _file.Read(buffer, offset + done, count - done);
                if (n <= 0) throw new InvalidOperationException("flash file shorter than its size");
                done += n;
            }
        }

        /// <inheritdoc />
        public void Write(int address, byte[] buffer, int offset, int count)
        {
            Check(address, count);
            int done = 0;
            while (done < count)
            {
                int n = count - done < ChunkBytes ? count - done : ChunkBytes;
                Read(address + done, _old, 0, n);
                for (int i = 0; i < n; i++) _old[i] = (byte)(_old[i] & buffer[offset + done + i]);
                _file.Seek(address + done, SeekOrigin.Begin);
                _file.Write(_old, 0, n);
                done += n;
            }
            _file.Flush();
        }

        /// <inheritdoc />
        public void EraseSector(int sectorIndex)
        {
            int address = sectorIndex * _sectorSize;
            Check(address, _sectorSize);
            _file.Seek(address, SeekOrigin.Begin);
            for (int done = 0; done < _sectorSize; done += ChunkBytes)
            {
                _file.Write(_erased, 0, _sectorSize - done < ChunkBytes ? _sectorSize - done : ChunkBytes);
            }
            _file.Flush();
        }

        private void Check(int address, int count)
        {
            if (address < 0 || count < 0 || address + count > _size) throw new ArgumentOutOfRangeException("address");
        }
    }
}
