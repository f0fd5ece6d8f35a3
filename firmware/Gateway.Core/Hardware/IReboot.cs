namespace Iot.Gateway.Hardware
{
    /// <summary>Restarts the device: the last resort of the loop's fault policy and of the watchdog.</summary>
    public interface IReboot
    {
        /// <summary>Restarts now; on a device this does not return. Closed minutes are safe in the journal, the open one is lost.</summary>
        void Reboot();
    }
}
