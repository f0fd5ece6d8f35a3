namespace Iot.Gateway.Hardware
{
    /// <summary>Wall clock (UTC, possibly not yet synchronised) and a monotonic millisecond counter.</summary>
    public interface IClock
    {
        /// <summary>Whole seconds since the Unix epoch, UTC.</summary>
        long UtcSeconds { get; }

        /// <summary>True once the wall clock has been set from a trusted source (SNTP, cellular).</summary>
        bool IsSynchronized { get; }

        /// <summary>Milliseconds since boot; never jumps when the wall clock is set.</summary>
        long MonotonicMs { get; }

        /// <summary>Blocks the caller for the given time.</summary>
        void Sleep(int milliseconds);
    }
}
