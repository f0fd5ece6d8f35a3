namespace Iot.Fleet.People;

/// <summary>Slows password guessing per login: after <see cref="FreeFailures"/> failures in a row a login is
/// locked for a minute, and each further failure doubles that, up to an hour. A success clears the count.
/// In memory: a restart forgives, which is fine against online guessing at 600,000 PBKDF2 rounds a try.</summary>
public sealed class LoginThrottle(TimeProvider clock)
{
    public const int FreeFailures = 5;
    private static readonly TimeSpan FirstLock = TimeSpan.FromMinutes(1), LongestLock = TimeSpan.FromHours(1);
    private const int MaxTracked = 10_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, (int Failures, DateTimeOffset LockedUntil)> _logins = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long the login stays locked; null when it may try now.</summary>
    public TimeSpan? LockedFor(string login)
    {
        lock (_lock)
        {
            if (!_logins.TryGetValue(login, out var state)) return null;
            var left = state.LockedUntil - clock.GetUtcNow();
            return left > TimeSpan.Zero ? left : null;
        }
    }

    public void Failed(string login)
    {
        lock (_lock)
        {
            if (_logins.Count >= MaxTracked) Forget();
            var failures = _logins.GetValueOrDefault(login).Failures + 1;
            var locked = failures < FreeFailures
                ? DateTimeOffset.MinValue
                : clock.GetUtcNow() + TimeSpan.FromTicks(Math.Min(LongestLock.Ticks, FirstLock.Ticks << Math.Min(failures - FreeFailures, 16)));
            _logins[login] = (failures, locked);
        }
    }

    public void Succeeded(string login)
    {
        lock (_lock) _logins.Remove(login);
    }

    /// <summary>Under a flood of made-up logins, drops the ones not locked right now.</summary>
    private void Forget()
    {
        var now = clock.GetUtcNow();
        foreach (var login in _logins.Where(l => l.Value.LockedUntil <= now).Select(l => l.Key).ToList()) _logins.Remove(login);
    }
}
