using System;
using Iot.Gateway.Hardware;
using Iot.Gateway.Journal;

namespace Iot.Gateway.Runtime
{
    /// <summary>
    /// The boot counter, the clean-shutdown marker and the firmware boundary on a small flash partition (at least
    /// two sectors). Each boot appends a 128-byte entry (layout "IBL2", little-endian): magic, boot number, boundary
    /// sequence number, the lengths of two ASCII versions, the version running in this boot and the version before
    /// the boundary, CRC-32 of bytes 0..119 at 120, and a shutdown word at 124 left erased (0xFFFFFFFF) while the run
    /// lasts; a clean shutdown programs it to 0, which NOR flash allows without an erase. So at the next boot, an
    /// erased word means the previous run lost power or crashed. A torn entry fails its CRC and is ignored; when a
    /// sector is full the next one is erased and used.
    /// <para>
    /// The firmware boundary: when this boot runs another version than the last boot, the first journal sequence
    /// number this version writes (FirmwareBoundarySeq) and the version before it (PreviousFirmware) are recorded and
    /// carried into every later entry until the version changes again, so records the previous version measured and
    /// left in the journal are still known as its records after any number of reboots.
    /// </para>
    /// <para>
    /// Entries start on 16-byte units; the older 16-byte "IBL1" slots (magic, boot number, CRC of those 8 bytes,
    /// shutdown word) written by earlier firmware are still read, so the boot count survives the update. An IBL1 slot
    /// does not say which version wrote it: the version before the boundary is then the one the caller names.
    /// </para>
    /// </summary>
    public sealed class BootLog
    {
        private const int UnitBytes = 16;
        private const int EntryBytes = 128;
        private const int EntryUnits = EntryBytes / UnitBytes;
        private const int MaxVersionBytes = 48;
        private const int CrcOffset = 120;
        private const int ShutdownOffset = 124;
        private const uint LegacyMagic = 0x314C4249; // "IBL1" little-endian
        private const uint Magic = 0x324C4249; // "IBL2" little-endian
        private readonly IFlashStore _flash;
        private readonly byte[] _slot = new byte[EntryBytes];
        private readonly byte[] _word = new byte[4];
        /// <summary>Shutdown word of a run the fault policy ended (GatewayRuntime.RebootAfterFailingTicks): not clean, but known.</summary>
        private const uint FaultRebootWord = 0x31544C46; // "FLT1" little-endian
        private readonly int _unitsPerSector;
        private readonly int _sectors;
        private int _address = -1;

        /// <summary>Binds the log to a partition; call Open once per boot.</summary>
        public BootLog(IFlashStore flash)
        {
            if (flash == null) throw new ArgumentNullException("flash");
            if (flash.Size < 2 * flash.SectorSize || flash.SectorSize < EntryBytes) throw new ArgumentException("the boot log needs two sectors");
            _flash = flash;
            _unitsPerSector = flash.SectorSize / UnitBytes;
            _sectors = flash.Size / flash.SectorSize;
        }

        /// <summary>This run's boot number: 1 on a blank partition, one more than the last recorded boot otherwise.</summary>
        public uint Boot { get; private set; }

        /// <summary>False when the previous run ended without MarkCleanShutdown (power loss, crash, watchdog, fault policy).</summary>
        public bool PreviousRunClean { get; private set; }

        /// <summary>True when the previous run was ended by the loop's fault policy (MarkFaultReboot).</summary>
        public bool PreviousRunFaultReboot { get; private set; }

        /// <summary>
        /// First journal sequence number written by the running firmware version since it replaced another one;
        /// records below it were measured by PreviousFirmware. 0 when no version change is known.
        /// </summary>
        public uint FirmwareBoundarySeq { get; private set; }

        /// <summary>The version that wrote the records below FirmwareBoundarySeq, or null when unknown.</summary>
        public string PreviousFirmware { get; private set; }

        /// <summary>Reads the last boot, then records this one without firmware information (no boundary).</summary>
        public void Open()
        {
            Open(null, 0, null);
        }

        /// <summary>
        /// Reads the last boot, then records this one, running firmware. When the last boot ran another version,
        /// nextSeq (the journal's next sequence number) becomes the boundary and that version the previous one;
        /// fallbackPrevious names it when the last boot's entry does not (written by firmware before IBL2).
        /// </summary>
        public void Open(string firmware, uint nextSeq, string fallbackPrevious)
        {
            int lastSector = -1;
            int lastEnd = 0;
            uint lastBoot = 0;
            bool lastClean = true;
            bool lastFault = false;
            bool lastLegacy = false;
            string lastFirmware = null;
            string lastPrevious = null;
            uint lastBoundary = 0;
            for (int s = 0; s < _sectors; s++)
            {
                int u = 0;
                while (u < _unitsPerSector)
                {
                    int address = Address(s, u);
                    _flash.Read(address, _slot, 0, UnitBytes);
                    uint magic = RecordCodec.GetU32(_slot, 0);
                    if (magic == LegacyMagic && RecordCodec.GetU32(_slot, 8) == Crc32.Compute(_slot, 0, 8))
                    {
                        uint boot = RecordCodec.GetU32(_slot, 4);
                        if (lastSector < 0 || boot > lastBoot)
                        {
                            lastSector = s;
                            lastEnd = u + 1;
                            lastBoot = boot;
                            lastClean = RecordCodec.GetU32(_slot, 12) == 0;
                            lastFault = false;
                            lastLegacy = true;
                            lastFirmware = null;
                            lastPrevious = null;
                            lastBoundary = 0;
                        }
                        u++;
                        continue;
                    }
                    if (magic == Magic && u + EntryUnits <= _unitsPerSector)
                    {
                        _flash.Read(address, _slot, 0, EntryBytes);
                        if (RecordCodec.GetU32(_slot, CrcOffset) == Crc32.Compute(_slot, 0, CrcOffset))
                        {
                            uint boot = RecordCodec.GetU32(_slot, 4);
                            if (lastSector < 0 || boot > lastBoot)
                            {
                                lastSector = s;
                                lastEnd = u + EntryUnits;
                                lastBoot = boot;
                                lastClean = RecordCodec.GetU32(_slot, ShutdownOffset) == 0;
                                lastFault = RecordCodec.GetU32(_slot, ShutdownOffset) == FaultRebootWord;
                                lastLegacy = false;
                                lastBoundary = RecordCodec.GetU32(_slot, 8);
                                int runningLength = _slot[12];
                                int previousLength = _slot[13];
                                lastFirmware = ReadText(16, runningLength);
                                lastPrevious = ReadText(16 + runningLength, previousLength);
                            }
                            u += EntryUnits;
                            continue;
                        }
                    }
                    u++; // blank, torn or foreign: look at the next unit
                }
            }
            Boot = lastBoot + 1;
            PreviousRunClean = lastClean;
            PreviousRunFaultReboot = lastFault;

            if (lastSector < 0 || firmware == null)
            {
                // Blank partition (nothing before this boot is known) or no firmware given.
                FirmwareBoundarySeq = 0;
                PreviousFirmware = null;
            }
            else if (lastLegacy || lastFirmware == null)
            {
                // Written by firmware that did not record its version: a version before this one.
                FirmwareBoundarySeq = nextSeq;
                PreviousFirmware = fallbackPrevious != null && fallbackPrevious != firmware ? fallbackPrevious : null;
            }
            else if (lastFirmware != firmware)
            {
                FirmwareBoundarySeq = nextSeq;
                PreviousFirmware = lastFirmware;
            }
            else
            {
                FirmwareBoundarySeq = lastBoundary;
                PreviousFirmware = lastPrevious;
            }

            int sector = lastSector < 0 ? 0 : lastSector;
            int unit = lastEnd;
            while (true)
            {
                if (unit + EntryUnits > _unitsPerSector || lastSector < 0)
                {
                    if (lastSector >= 0) sector = (sector + 1) % _sectors;
                    _flash.EraseSector(sector);
                    unit = 0;
                    lastSector = sector;
                }
                if (IsBlank(Address(sector, unit))) break;
                unit++; // a torn write: never reuse it
            }

            _address = Address(sector, unit);
            for (int i = 0; i < EntryBytes; i++) _slot[i] = 0;
            RecordCodec.PutU32(_slot, 0, Magic);
            RecordCodec.PutU32(_slot, 4, Boot);
            RecordCodec.PutU32(_slot, 8, FirmwareBoundarySeq);
            int written = WriteText(16, Storable(firmware) ? firmware : null);
            _slot[12] = (byte)written;
            _slot[13] = (byte)WriteText(16 + written, Storable(PreviousFirmware) ? PreviousFirmware : null);
            RecordCodec.PutU32(_slot, CrcOffset, Crc32.Compute(_slot, 0, CrcOffset));
            _flash.Write(_address, _slot, 0, ShutdownOffset);
        }

        /// <summary>Records that this run is ending on purpose (reboot command, OTA); the next boot sees a clean shutdown.</summary>
        public void MarkCleanShutdown()
        {
            MarkShutdown(0);
        }

        /// <summary>Records that the fault policy is restarting the device; the next boot says so instead of "power on".</summary>
        public void MarkFaultReboot()
        {
            MarkShutdown(FaultRebootWord);
        }

        // The word only clears bits of the erased 0xFFFFFFFF, so NOR flash takes it without an erase (once per run).
        private void MarkShutdown(uint word)
        {
            if (_address < 0) throw new InvalidOperationException("not open");
            RecordCodec.PutU32(_word, 0, word);
            _flash.Write(_address + ShutdownOffset, _word, 0, 4);
        }

        // Versions are short ASCII text; anything longer or wider is not recorded (it then counts as unknown).
        private static bool Storable(string text)
        {
            if (text == null || text.Length == 0 || text.Length > MaxVersionBytes) return false;
            for (int i = 0; i < text.Length; i++)
            {
                if (text[i] < 0x20 || text[i] > 0x7E) return false;
            }
            return true;
        }

        private int WriteText(int offset, string text)
        {
            if (text == null) return 0;
            for (int i = 0; i < text.Length; i++) _slot[offset + i] = (byte)text[i];
            return text.Length;
        }

        private string ReadText(int offset, int length)
        {
            if (length == 0 || length > MaxVersionBytes || offset + length > CrcOffset) return null;
            char[] chars = new char[length];
            for (int i = 0; i < length; i++) chars[i] = (char)_slot[offset + i];
            return new string(chars);
        }

        private bool IsBlank(int address)
        {
            _flash.Read(address, _slot, 0, EntryBytes);
            for (int i = 0; i < EntryBytes; i++)
            {
                if (_slot[i] != 0xFF) return false;
            }
            return true;
        }

        private int Address(int sector, int unit)
        {
            return sector * _flash.SectorSize + unit * UnitBytes;
        }
    }
}
