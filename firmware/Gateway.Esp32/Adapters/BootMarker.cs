using System;
using System.IO;
using Iot.Gateway.Journal;

namespace Iot.Gateway.Esp32.Adapters
{
    /// <summary>
    /// The boot marker on the internal drive: which of the two bundle files runs, its version and the previous
    /// one, whether it is on trial and how often it booted so, and a switch asked for the next boot. Read and
    /// written by the loader (Loader/BootLoader.cs) before the app starts and by FlashFirmwareSlots in the app.
    /// Power-safe like the core's ConfigStore: the file holds two copies, each with a sequence number and a CRC-32;
    /// a save overwrites the older copy, so a power cut mid-write leaves the newer one intact.
    /// Copy layout (CopyBytes, little-endian): "IGM1", sequence u32, active slot u8 (0 = a, 1 = b), flags u8,
    /// trial boots u8, pending u8, three versions (running, previous, pending) as length u8 + ASCII, CRC-32 of all
    /// bytes before it.
    /// </summary>
    public sealed class BootMarker
    {
        /// <summary>Where the marker lives.</summary>
        public const string DefaultPath = "I:\\boot-marker.bin";

        /// <summary>Nothing to do at the next boot.</summary>
        public const int PendingNone = 0;
        /// <summary>Next boot: run the other bundle (the staged one), on trial.</summary>
        public const int PendingSwitch = 1;
        /// <summary>Next boot: run the other bundle (the previous one), confirmed.</summary>
        public const int PendingRevert = 2;

        private const uint Magic = 0x314D4749; // "IGM1" little-endian
        private const int CopyBytes = 128;
        private const int MaxVersionBytes = 32;
        private const int FlagTrial = 1;
        private const int FlagStaging = 2;

        private readonly string _path;
        private readonly byte[] _copy = new byte[CopyBytes];
        private uint _sequence;
        private int _newestCopy = -1;

        /// <summary>True when an intact copy was read (false before the first Save).</summary>
        public bool Exists { get { return _newestCopy >= 0; } }

        /// <summary>Slot of the bundle that runs: 0 (bundle a) or 1 (bundle b).</summary>
        public int Active;
        /// <summary>Version of the bundle in the active slot.</summary>
        public string Running;
        /// <summary>Version kept in the other slot to return to, or null.</summary>
        public string Previous;
        /// <summary>The running bundle was switched to and is not confirmed yet.</summary>
        public bool InTrial;
        /// <summary>Boots of the running bundle on trial, counted by the loader.</summary>
        public int TrialBoots;
        /// <summary>The other slot holds a (partial) download, not the previous bundle.</summary>
        public bool Staging;
        /// <summary>PendingNone, PendingSwitch or PendingRevert.</summary>
        public int Pending;
        /// <summary>Version the pending switch or revert runs.</summary>
        public string PendingVersion;

        /// <summary>Reads the newest intact copy of the marker at path; with none, slot a runs factoryVersion.</summary>
        public BootMarker(string path, string factoryVersion)
        {
            _path = path;
            Running = factoryVersion;
            if (!File.Exists(path)) return;
            using (var file = new FileStream(path, FileMode.Open))
            {
                for (int c = 0; c < 2; c++)
                {
                    if (file.Length < (c + 1) * CopyBytes) break;
                    file.Seek(c * CopyBytes, SeekOrigin.Begin);
                    if (!ReadFully(file, _copy, CopyBytes)) break;
                    uint sequence = GetU32(_copy, 4);
                    if (GetU32(_copy, 0) != Magic || (_newestCopy >= 0 && sequence <= _sequence)) continue;
                    // Decode sets the fields only from an intact copy, so the newest intact one wins.
                    if (Decode())
                    {
                        _newestCopy = c;
                        _sequence = sequence;
                    }
                }
            }
        }

        /// <summary>File of a slot's bundle.</summary>
        public static string BundlePath(int slot)
        {
            return slot == 0 ? "I:\\bundle-a.bin" : "I:\\bundle-b.bin";
        }

        /// <summary>
        /// What the loader does at every boot before loading the app: carries out a pending switch or revert and
        /// counts a boot on trial; above giveUpAfter trial boots it returns to the previous bundle by itself (the
        /// app itself rolls back sooner, at OtaSettings.MaxTrialBoots; this catches an app that dies before its
        /// runtime starts). Saves the marker when anything changed.
        /// </summary>
        public void Boot(int giveUpAfter)
        {
            if (Pending == PendingSwitch)
            {
                Previous = Running;
                Running = PendingVersion;
                Active = 1 - Active;
                InTrial = true;
            }
            else if (Pending == PendingRevert)
            {
                ReturnToPrevious();
            }
            if (Pending != PendingNone)
            {
                TrialBoots = 0;
                Staging = false;
                Pending = PendingNone;
                PendingVersion = null;
            }
            if (InTrial)
            {
                TrialBoots++;
                if (TrialBoots > giveUpAfter && Previous != null) ReturnToPrevious();
            }
            Save();
        }

        /// <summary>Writes the marker over its older copy.</summary>
        public void Save()
        {
            Array.Clear(_copy, 0, CopyBytes);
            PutU32(_copy, 0, Magic);
            PutU32(_copy, 4, _sequence + 1);
            _copy[8] = (byte)Active;
            _copy[9] = (byte)((InTrial ? FlagTrial : 0) | (Staging ? FlagStaging : 0));
            _copy[10] = (byte)(TrialBoots > 255 ? 255 : TrialBoots);
            _copy[11] = (byte)Pending;
            int at = PutVersion(12, Running);
            at = PutVersion(at, Previous);
            at = PutVersion(at, PendingVersion);
            PutU32(_copy, at, Crc32.Compute(_copy, 0, at));

            int target = _newestCopy == 0 ? 1 : 0;
            using (var file = new FileStream(_path, FileMode.OpenOrCreate))
            {
                // FileStream cannot seek past the end: grow the file to the first copy's end before writing the second.
                if (target == 1 && file.Length < CopyBytes)
                {
                    file.Seek(file.Length, SeekOrigin.Begin);
                    for (long i = file.Length; i < CopyBytes; i++) file.WriteByte(0);
                }
                file.Seek(target * CopyBytes, SeekOrigin.Begin);
                file.Write(_copy, 0, CopyBytes);
                file.Flush();
            }
            _newestCopy = target;
            _sequence++;
        }

        private void ReturnToPrevious()
        {
            Running = Previous;
            Previous = null;
            Active = 1 - Active;
            InTrial = false;
            TrialBoots = 0;
        }

        private bool Decode()
        {
            int at = 12;
            string running = GetVersion(ref at);
            string previous = GetVersion(ref at);
            string pending = GetVersion(ref at);
            if (at < 0 || at + 4 > CopyBytes || running == null) return false;
            if (GetU32(_copy, at) != Crc32.Compute(_copy, 0, at)) return false;
            Active = _copy[8] & 1;
            InTrial = (_copy[9] & FlagTrial) != 0;
            Staging = (_copy[9] & FlagStaging) != 0;
            TrialBoots = _copy[10];
            Pending = _copy[11] <= PendingRevert ? _copy[11] : PendingNone;
            Running = running;
            Previous = previous;
            PendingVersion = pending;
            return true;
        }

        // A version as length u8 + ASCII; length 0 = null. Returns null and at = -1 when it runs past the copy.
        private string GetVersion(ref int at)
        {
            if (at < 0 || at >= CopyBytes) { at = -1; return null; }
            int length = _copy[at++];
            if (length > MaxVersionBytes || at + length > CopyBytes) { at = -1; return null; }
            if (length == 0) return null;
            var chars = new char[length];
            for (int i = 0; i < length; i++) chars[i] = (char)_copy[at + i];
            at += length;
            return new string(chars);
        }

        private int PutVersion(int at, string version)
        {
            int length = version == null ? 0 : version.Length;
            if (length > MaxVersionBytes) throw new ArgumentException("version too long");
            _copy[at++] = (byte)length;
            for (int i = 0; i < length; i++) _copy[at + i] = (byte)version[i];
            return at + length;
        }

        private static bool ReadFully(FileStream file, byte[] buffer, int count)
        {
            int done = 0;
            while (done < count)
            {
                int n = file.Read(buffer, done, count - done);
                if (n <= 0) return false;
                done += n;
            }
            return true;
        }

        private static uint GetU32(byte[] b, int at)
        {
            return (uint)(b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24));
        }

        private static void PutU32(byte[] b, int at, uint value)
        {
            b[at] = (byte)value;
            b[at + 1] = (byte)(value >> 8);
            b[at + 2] = (byte)(value >> 16);
            b[at + 3] = (byte)(value >> 24);
        }
    }
}
