using System;
using System.IO;
using Iot.Gateway.Hardware;

namespace Iot.Gateway.Esp32.Adapters
{
    /// <summary>
    /// IFirmwareSlots on the internal drive: two bundle files (I:\bundle-a.bin, I:\bundle-b.bin) and the boot
    /// marker (BootMarker). The active slot's bundle runs; the other slot holds the previous bundle until a
    /// download needs it as the staging slot. Activate and Revert only change the marker; the loader carries the
    /// switch out at the next boot (the app restarts with Power.RebootDevice when GatewayRuntime.RestartRequested).
    /// </summary>
    public sealed class FlashFirmwareSlots : IFirmwareSlots
    {
        private readonly BootMarker _marker;
        private readonly int _capacity;

        /// <summary>Reads the marker (the loader applied it at this boot); without one, writes it with slot a running factoryVersion.</summary>
        public FlashFirmwareSlots(string markerPath, string factoryVersion, int stagingCapacity)
        {
            _marker = new BootMarker(markerPath, factoryVersion);
            _capacity = stagingCapacity;
            if (!_marker.Exists) _marker.Save(); // first boot: slot a holds this factory version
        }

        /// <inheritdoc />
        public string RunningVersion { get { return _marker.Running; } }

        /// <inheritdoc />
        public string PreviousVersion { get { return _marker.Staging ? null : _marker.Previous; } }

        /// <inheritdoc />
        public bool InTrial { get { return _marker.InTrial; } }

        /// <inheritdoc />
        public int TrialBoots { get { return _marker.TrialBoots; } }

        /// <inheritdoc />
        public int StagingCapacity { get { return _capacity; } }

        /// <inheritdoc />
        public int StagedLength
        {
            get
            {
                // Until a download claimed it, the other slot holds the previous bundle: nothing is staged.
                if (!_marker.Staging || !File.Exists(StagingPath)) return 0;
                using (var file = new FileStream(StagingPath, FileMode.Open)) return (int)file.Length;
            }
        }

        private string StagingPath { get { return BootMarker.BundlePath(1 - _marker.Active); } }

        /// <inheritdoc />
        public void EraseStaging()
        {
            CheckNoSwitchPending();
            // The previous bundle is given up first: a power cut between the two steps then leaves no slot that
            // claims a version it no longer holds.
            if (!_marker.Staging)
            {
                _marker.Staging = true;
                _marker.Previous = null;
                _marker.Save();
            }
            File.Delete(StagingPath);
        }

        /// <inheritdoc />
        public void WriteStaging(byte[] buffer, int offset, int count)
        {
            CheckNoSwitchPending();
            if (!_marker.Staging) EraseStaging();
            if (StagedLength + count > _capacity) throw new InvalidOperationException("the staging slot is full");
            using (var file = new FileStream(StagingPath, FileMode.OpenOrCreate))
            {
                file.Seek(file.Length, SeekOrigin.Begin);
                file.Write(buffer, offset, count);
                file.Flush();
            }
        }

        /// <inheritdoc />
        public void ReadStaging(int position, byte[] buffer, int offset, int count)
        {
            using (var file = new FileStream(StagingPath, FileMode.Open))
            {
                file.Seek(position, SeekOrigin.Begin);
                int done = 0;
                while (done < count)
                {
                    int n = file.Read(buffer, offset + done, count - done);
                    if (n <= 0) throw new InvalidOperationException("staged bundle shorter than asked");
                    done += n;
                }
            }
        }

        /// <inheritdoc />
        public void Activate(string version)
        {
            _marker.Pending = BootMarker.PendingSwitch;
            _marker.PendingVersion = version;
            _marker.Save();
        }

        /// <inheritdoc />
        public void Confirm()
        {
            _marker.InTrial = false;
            _marker.TrialBoots = 0;
            _marker.Save();
        }

        /// <inheritdoc />
        public void Revert()
        {
            if (PreviousVersion == null) return;
            _marker.Pending = BootMarker.PendingRevert;
            _marker.PendingVersion = _marker.Previous;
            _marker.Save();
        }

        // After Activate or Revert the other slot is the one that boots next: it must not be touched.
        private void CheckNoSwitchPending()
        {
            if (_marker.Pending != BootMarker.PendingNone) throw new InvalidOperationException("a switch is pending");
        }
    }
}
