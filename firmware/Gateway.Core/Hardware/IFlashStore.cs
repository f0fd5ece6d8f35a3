namespace Iot.Gateway.Hardware
{
    /// <summary>
    /// A NOR-flash partition: erased bytes read 0xFF, writes can only clear bits, erase works per sector.
    /// The record journal is written for exactly these semantics.
    /// </summary>
    public interface IFlashStore
    {
        /// <summary>Total size in bytes (a whole number of sectors).</summary>
        int Size { get; }

        /// <summary>Erase unit in bytes.</summary>
        int SectorSize { get; }

        /// <summary>Copies count bytes at address into buffer at offset.</summary>
        void Read(int address, byte[] buffer, int offset, int count);

        /// <summary>Programs count bytes from buffer at offset to address (bits can only go from 1 to 0).</summary>
        void Write(int address, byte[] buffer, int offset, int count);

        /// <summary>Sets every byte of the sector to 0xFF.</summary>
        void EraseSector(int sectorIndex);
    }
}
