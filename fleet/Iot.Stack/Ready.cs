namespace Iot.Stack;

/// <summary>Polls until a server answers.</summary>
internal static class Ready
{
    /// <summary>True when <paramref name="ready"/> holds before the timeout; false when the process died or time ran out.</summary>
    public static bool WaitUntil(Func<bool> ready, Func<bool> alive, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (ready()) return true;
            if (!alive()) return false;
            Thread.Sleep(50);
        }
        return false;
    }
}
