namespace Iot.Gateway.Hardware
{
    /// <summary>
    /// The firmware images on the device: the running one, the previous one kept to return to, and a staging slot
    /// that a download fills. Which image boots and whether it is still on trial is kept in flash by the
    /// implementation (and read by the boot loader), so it survives power loss at any point:
    /// Activate makes the staged image boot next, on trial; Confirm keeps it; Revert goes back to the previous one.
    /// </summary>
    public interface IFirmwareSlots
    {
        /// <summary>Version of the image running now.</summary>
        string RunningVersion { get; }

        /// <summary>Version of the image kept to return to, or null when there is none.</summary>
        string PreviousVersion { get; }

        /// <summary>True while the running image was activated but not yet confirmed.</summary>
        bool InTrial { get; }

        /// <summary>Boots of the running image while on trial, this one included (counted before the app starts).</summary>
        int TrialBoots { get; }

        /// <summary>Largest image the staging slot holds, in bytes.</summary>
        int StagingCapacity { get; }

        /// <summary>Bytes in the staging slot since it was last erased: where a download continues.</summary>
        int StagedLength { get; }

        /// <summary>Empties the staging slot (StagedLength becomes 0).</summary>
        void EraseStaging();

        /// <summary>Appends buffer[offset..offset+count) to the staging slot at StagedLength.</summary>
        void WriteStaging(byte[] buffer, int offset, int count);

        /// <summary>Copies count staged bytes from position into buffer at offset.</summary>
        void ReadStaging(int position, byte[] buffer, int offset, int count);

        /// <summary>Makes the staged image (of the given version) boot next, on trial; the running image becomes the previous one.</summary>
        void Activate(string version);

        /// <summary>Ends the trial: the running image stays.</summary>
        void Confirm();

        /// <summary>Makes the previous image boot next (confirmed); the image on trial is given up.</summary>
        void Revert();
    }
}
