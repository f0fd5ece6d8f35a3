using Iot.Gateway.Hardware;
using Microsoft.Win32.SafeHandles;

namespace Iot.Gateway.Virtual.Hardware;

/// <summary>
/// A gateway's whole flash chip as one file under the state folder, so journal, configuration and boot counter
/// survive the process like they survive a power cut. NOR semantics are kept (writes only clear bits, erase per
/// sector); reads come from a copy in memory and every write goes through to the file.
/// </summary>
public sealed class FlashFile : IDisposable
{
    public const int SectorSize = 4096;
    private readonly SafeFileHandle _file;
    private readonly byte[] _image;

    public FlashFile(string path, int size)
    {
        if (size % SectorSize != 0) throw new ArgumentException("size must be whole sectors", nameof(size));
        _image = new byte[size];
        Array.Fill(_image, (byte)0xFF);
        bool exists = File.Exists(path) && new FileInfo(path).Length == size;
        _file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        if (exists) RandomAccess.Read(_file, _image, 0);
        else RandomAccess.Write(_file, _image, 0);
    }

    /// <summary>A partition of the chip starting at offset (whole sectors).</summary>
    public IFlashStore Partition(int offset, int size) => new FlashPartition(this, offset, size);

    public void Dispose() => _file.Dispose();

    private sealed class FlashPartition(FlashFile chip, int offset, int size) : IFlashStore
    {
        public int Size => size;
        public int SectorSize => FlashFile.SectorSize;

        public void Read(int address, byte[] buffer, int bufferOffset, int count)
        {
            Check(address, count);
            Array.Copy(chip._image, offset + address, buffer, bufferOffset, count);
        }

        public void Write(int address, byte[] buffer, int bufferOffset, int count)
        {
            Check(address, count);
            var image = chip._image.AsSpan(offset + address, count);
            for (int i = 0; i < count; i++) image[i] &= buffer[bufferOffset + i];
            RandomAccess.Write(chip._file, image, offset + address);
        }

        public void EraseSector(int sectorIndex)
        {
            Check(sectorIndex * SectorSize, SectorSize);
            var sector = chip._image.AsSpan(offset + sectorIndex * SectorSize, SectorSize);
            sector.Fill(0xFF);
            RandomAccess.Write(chip._file, sector, offset + sectorIndex * SectorSize);
        }

        private void Check(int address, int count)
        {
            if (address < 0 || count < 0 || address + count > size) throw new ArgumentOutOfRangeException(nameof(address));
        }
    }
}
