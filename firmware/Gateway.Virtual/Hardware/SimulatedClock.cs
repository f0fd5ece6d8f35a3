using Iot.Gateway.Hardware;

namespace Iot.Gateway.Virtual.Hardware;

/// <summary>
/// A device's clock in simulated time: the wall clock is the scenario's start plus the simulated second,
/// the monotonic counter restarts at every boot, and Sleep returns at once (the simulated line answers instantly).
/// </summary>
public sealed class SimulatedClock(long startUtcSeconds) : IClock
{
    private long _bootSecond;

    /// <summary>Seconds since the scenario started; the runner advances it.</summary>
    public long Second { get; set; }

    public long UtcSeconds => startUtcSeconds + Second;

    /// <summary>False during a scenario's clock loss (no SNTP or cellular time).</summary>
    public bool IsSynchronized { get; set; } = true;

    public long MonotonicMs => (Second - _bootSecond) * 1000;

    /// <summary>Starts the monotonic counter again, as a reboot does.</summary>
    public void Reboot() => _bootSecond = Second;

    public void Sleep(int milliseconds)
    {
    }
}
