namespace Iot.Gateway.Hardware
{
    /// <summary>An analog-to-digital converter with several channels.</summary>
    public interface IAdc
    {
        /// <summary>
        /// Fills buffer[0..count) with raw counts of one channel, sampled at the adapter's fixed rate
        /// over whole mains cycles (the current-transformer RMS relies on that).
        /// </summary>
        void SampleBurst(int channel, int[] buffer, int count);
    }
}
