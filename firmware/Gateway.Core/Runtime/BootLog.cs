using System;
using Iot.Gateway.Hardware;
using Iot.Gateway.Journal;

namespace Iot.Gateway.Runtime
{
    /// <summary>
    /// The boot counter and the clean-shutdown marker on a small flash partition (at least two sectors).
    /// Each boot appends a 16-byte slot: magic "IBL1", boot number, CRC-32 of those 8 bytes, and a shutdown
    /// word left erased (0xFFFFFFFF) while the run lasts; a clean shutdown programs it to 0, which NOR flash
    /// allows without an erase. So at the next boot, an erased word means the previous run lost power or crashed.
    /// A torn slot fails its CRC and is ignored; when a sector is full the next one is erased and used.
    /// </summary>
    public sealed class BootLog
    {
        private const int SlotBytes = 16;
        private const uint Magic = 0x314C4249; // "IBL1" little-endian
        private readonly IFlashStore _flash;
        private readonly byte[] _slot = new byte[SlotBytes];
        private readonly byte[] _clean = new byte[] { 0, 0, 0, 0 };
        private readonly int _slotsPerSector;
        private readonly int _sectors;
        private int _address = -1;

        /// <summary>Binds the log to a partition; call Open once per boot.</summary>
        public BootLog(IFlashStore flash)
        {
            if (flash == null) throw new ArgumentNullException("flash");
            if (flash.Size < 2 * flash.SectorSize || flash.SectorSize < SlotBytes) throw new ArgumentException("the boot log needs two sectors");
            _flash = flash;
            _slotsPerSector = flash.SectorSize / SlotBytes;
            _sectors = flash.Size / flash.SectorSize;
        }

        /// <summary>This run's boot number: 1 on a blank partition, one more than the last recorded boot otherwise.</summary>
        public uint Boot { get; private set; }

        /// <summary>False when the previous run ended without MarkCleanShutdown (power loss, crash, watchdog).</summary>
        public bool PreviousRunClean { get; private set; }

        /// <summary>Reads the last boot, then records this one.</summary>
        public void Open()
        {
            int lastSector = -1;
            int lastSlot = -1;
            uint lastBoot = 0;
            bool lastClean = true;
            for (int s = 0; s < _sectors; s++)
            {
                for (int i = 0; i < _slotsPerSector; i++)
                {
                    _flash.Read(Address(s, i), _slot, 0, SlotBytes);
                    if (RecordCodec.GetU32(_slot, 0) != Magic || RecordCodec.GetU32(_slot, 8) != Crc32.Compute(_slot, 0, 8)) continue;
                    uint boot = RecordCodec.GetU32(_slot, 4);
                    if (lastSector >= 0 && boot <= lastBoot) continue;
                    lastSector = s;
                    lastSlot = i;
                    lastBoot = boot;
                    lastClean = RecordCodec.GetU32(_slot, 12) == 0;
                }
            }
            Boot = lastBoot + 1;
            PreviousRunClean = lastClean;

            int sector = lastSector < 0 ? 0 : lastSector;
            int slot = lastSlot + 1;
            while (true)
            {
                if (slot >= _slotsPerSector || lastSector < 0)
                {
                    if (lastSector >= 0) sector = (sector + 1) % _sectors;
                    _flash.EraseSector(sector);
                    slot = 0;
                    lastSector = sector;
                }
                if (IsBlank(Address(sector, slot))) break;
                slot++; // a torn write: never reuse it
            }

            _address = Address(sector, slot);
            RecordCodec.PutU32(_slot, 0, Magic);
            RecordCodec.PutU32(_slot, 4, Boot);
            RecordCodec.PutU32(_slot, 8, Crc32.Compute(_slot, 0, 8));
            _flash.Write(_address, _slot, 0, 12);
        }

        /// <summary>Records that this run is ending on purpose (reboot command, OTA); the next boot sees a clean shutdown.</summary>
        public void MarkCleanShutdown()
        {
            if (_address < 0) throw new InvalidOperationException("not open");
            _flash.Write(_address + 12, _clean, 0, 4);
        }

        private bool IsBlank(int address)
        {
            _flash.Read(address, _slot, 0, SlotBytes);
            for (int i = 0; i < SlotBytes; i++)
            {
                if (_slot[i] != 0xFF) return false;
            }
            return true;
        }

        private int Address(int sector, int slot)
        {
            return sector * _flash.SectorSize + slot * SlotBytes;
        }
    }
}
