using Iot.Gateway.Hardware;

namespace Iot.Firmware.Tests.Fakes;

/// <summary>Thrown by FakeFlash when its write budget runs out: the power went off mid-write.</summary>
public sealed class PowerLossException : Exception;

/// <summary>
/// NOR flash in RAM: erased bytes are 0xFF, a write can only clear bits (it ANDs), erase is per sector.
/// With WriteBudget set, the device "loses power" after that many more bytes have been programmed:
/// the bytes before are written, the rest of the write is not, and PowerLossException is thrown.
/// </summary>
public sealed class FakeFlash(int size = 512 * 1024, int sectorSize = 4096) : IFlashStore
{
    private readonly byte[] _bytes = Enumerable.Repeat((byte)0xFF, size).ToArray();

    public int Size => size;
    public int SectorSize => sectorSize;
    public int? WriteBudget { get; set; }
    public long BytesWritten { get; private set; }
    public int Erases { get; private set; }

    public byte[] Snapshot() => (byte[])_bytes.Clone();

    public void Read(int address, byte[] buffer, int offset, int count)
    {
        CheckRange(address, count);
        Array.Copy(_bytes, address, buffer, offset, count);
    }

    public void Write(int address, byte[] buffer, int offset, int count)
    {
        CheckRange(address, count);
        for (int i = 0; i < count; i++)
        {
            if (WriteBudget is int budget)
            {
                if (budget == 0) throw new PowerLossException();
                WriteBudget = budget - 1;
            }
            _bytes[address + i] &= buffer[offset + i];
            BytesWritten++;
        }
    }

    public void EraseSector(int sectorIndex)
    {
        if (WriteBudget == 0) throw new PowerLossException();
        CheckRange(sectorIndex * sectorSize, sectorSize);
        Array.Fill(_bytes, (byte)0xFF, sectorIndex * sectorSize, sectorSize);
        Erases++;
    }

    private void CheckRange(int address, int count)
    {
        if (address < 0 || count < 0 || address + count > size) throw new ArgumentOutOfRangeException(nameof(address));
    }
}
