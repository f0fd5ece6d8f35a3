using Iot.Gateway.Hardware;

namespace Iot.Firmware.Tests.Fakes;

/// <summary>A clock that only moves when told to (Sleep advances it).</summary>
public sealed class FakeClock : IClock
{
    public long UtcSeconds { get; set; } = 1_795_000_000;
    public bool IsSynchronized { get; set; } = true;
    public long MonotonicMs { get; set; } = 10_000;
    public List<int> Sleeps { get; } = [];

    public void Sleep(int milliseconds)
    {
        Sleeps.Add(milliseconds);
        MonotonicMs += milliseconds;
    }
}
