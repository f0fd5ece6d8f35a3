using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.People;

/// <summary>Limits on signing in (section "Login"); People/README.md says why these numbers.</summary>
public sealed class LoginLimits
{
    /// <summary>Failures in a row of one login from one client before that pair is locked (1 min, doubling to 1 h).</summary>
    public int FreeFailures { get; set; } = 5;

    /// <summary>Failures one client (an IPv4 address, an IPv6 /64) may have per window, over all logins.</summary>
    public int FailuresPerClient { get; set; } = 30;

    /// <summary>Failures one login may have per window, over all clients: more than one client can reach alone.</summary>
    public int FailuresPerLogin { get; set; } = 100;

    /// <summary>Failures of the whole fleet per window: a ceiling on password guessing by many clients at once.</summary>
    public int FailuresPerWindow { get; set; } = 600;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Password checks (PBKDF2, about 0.2 s of a core each) running at once; the rest wait a little, then get a 429.</summary>
    public int ConcurrentChecks { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    public TimeSpan CheckQueueWait { get; set; } = TimeSpan.FromSeconds(3);
}

/// <summary>Why a sign-in is refused before its password is checked, and when to try again.</summary>
public sealed record LoginRefusal(TimeSpan RetryAfter, string Reason);

/// <summary>Slows password guessing without letting a guesser lock anyone else out. Four limits, checked before the
/// password costs any CPU: a (client, login) pair is locked after <see cref="LoginLimits.FreeFailures"/> failures in a
/// row, so `admin` locked from one address still signs in from another; each client has a budget of failures over all
/// logins (random names cost it as much as real ones); each login has a budget over all clients, above what one client
/// can spend; the fleet has one in total. A client that signed in within a day is exempt from the last two, so a
/// crowd of guessers cannot lock out people who work from their usual place. Password checks run at most
/// <see cref="LoginLimits.ConcurrentChecks"/> at a time. In memory: a restart forgives.</summary>
public sealed class LoginThrottle(TimeProvider clock, IOptions<LoginLimits> options)
{
    private static readonly TimeSpan FirstLock = TimeSpan.FromMinutes(1), LongestLock = TimeSpan.FromHours(1), Trust = TimeSpan.FromDays(1);
    private const int MaxTracked = 10_000;

    private readonly LoginLimits _limits = options.Value;
    private readonly SemaphoreSlim _checks = new(options.Value.ConcurrentChecks);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (int Failures, DateTimeOffset LockedUntil)> _pairs = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Window> _clients = [], _logins = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, DateTimeOffset> _trusted = [];
    private Window _fleet;

    /// <summary>The client a limit counts: the address, or its /64 for IPv6 (one subscriber's whole network).</summary>
    public static string ClientOf(IPAddress? address)
    {
        if (address is null) return "unknown";
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    /// <summary>Why this sign-in may not be tried now; null when it may.</summary>
    public LoginRefusal? Refusal(string client, string login)
    {
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            if (_pairs.TryGetValue(Pair(client, login), out var pair) && pair.LockedUntil > now)
                return new(pair.LockedUntil - now, $"Too many failed sign-ins for {login} from your address; try again in {Minutes(pair.LockedUntil - now)} min.");
            if (_clients.GetValueOrDefault(client).Full(_limits.FailuresPerClient, _limits.Window, now) is { } clientWait)
                return new(clientWait, $"Too many failed sign-ins from your address; try again in {Minutes(clientWait)} min.");
            if (_trusted.TryGetValue(client, out var at) && now - at < Trust) return null;
            if (_logins.GetValueOrDefault(login).Full(_limits.FailuresPerLogin, _limits.Window, now) is { } loginWait)
                return new(loginWait, $"Too many failed sign-ins for {login} from many addresses; try again in {Minutes(loginWait)} min, or from where you signed in before.");
            if (_fleet.Full(_limits.FailuresPerWindow, _limits.Window, now) is { } fleetWait)
                return new(fleetWait, $"Too many failed sign-ins at the fleet; try again in {Minutes(fleetWait)} min, or from where you signed in before.");
            return null;
        }
    }

    public void Failed(string client, string login)
    {
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            if (_pairs.Count >= MaxTracked || _clients.Count >= MaxTracked || _logins.Count >= MaxTracked) Forget(now);
            var key = Pair(client, login);
            var failures = _pairs.GetValueOrDefault(key).Failures + 1;
            var locked = failures < _limits.FreeFailures
                ? DateTimeOffset.MinValue
                : now + TimeSpan.FromTicks(Math.Min(LongestLock.Ticks, FirstLock.Ticks << Math.Min(failures - _limits.FreeFailures, 16)));
            if (_pairs.Count < MaxTracked || _pairs.ContainsKey(key)) _pairs[key] = (failures, locked);
            if (_clients.Count < MaxTracked || _clients.ContainsKey(client)) _clients[client] = _clients.GetValueOrDefault(client).Add(_limits.Window, now);
            if (_logins.Count < MaxTracked || _logins.ContainsKey(login)) _logins[login] = _logins.GetValueOrDefault(login).Add(_limits.Window, now);
            _fleet = _fleet.Add(_limits.Window, now);
        }
    }

    public void Succeeded(string client, string login)
    {
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            _pairs.Remove(Pair(client, login));
            if (_trusted.Count >= MaxTracked) Forget(now);
            if (_trusted.Count < MaxTracked) _trusted[client] = now;
        }
    }

    /// <summary>A turn to check a password, or null when the fleet stayed busy checking others for
    /// <see cref="LoginLimits.CheckQueueWait"/>. Dispose it when the check is done.</summary>
    public async Task<IDisposable?> TurnToCheck(CancellationToken cancellationToken)
    {
        if (!await _checks.WaitAsync(_limits.CheckQueueWait, cancellationToken)) return null;
        return new Turn(_checks);
    }

    private static string Pair(string client, string login) => $"{client}\n{login}";

    private static string Minutes(TimeSpan wait) => Math.Ceiling(wait.TotalMinutes).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Under a flood of made-up logins or addresses, drops what no longer limits anything.</summary>
    private void Forget(DateTimeOffset now)
    {
        foreach (var key in _pairs.Where(p => p.Value.LockedUntil <= now).Select(p => p.Key).ToList()) _pairs.Remove(key);
        foreach (var key in _clients.Where(c => now - c.Value.Start >= _limits.Window).Select(c => c.Key).ToList()) _clients.Remove(key);
        foreach (var key in _logins.Where(l => now - l.Value.Start >= _limits.Window).Select(l => l.Key).ToList()) _logins.Remove(key);
        foreach (var key in _trusted.Where(t => now - t.Value >= Trust).Select(t => t.Key).ToList()) _trusted.Remove(key);
    }

    /// <summary>Failures counted in a fixed window that starts with its first failure.</summary>
    private readonly record struct Window(DateTimeOffset Start, int Failures)
    {
        public Window Add(TimeSpan length, DateTimeOffset now) => now - Start >= length ? new(now, 1) : this with { Failures = Failures + 1 };

        /// <summary>How long until the window ends, when it already holds <paramref name="limit"/> failures.</summary>
        public TimeSpan? Full(int limit, TimeSpan length, DateTimeOffset now) =>
            now - Start < length && Failures >= limit ? Start + length - now : null;
    }

    private sealed class Turn(SemaphoreSlim checks) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) checks.Release();
        }
    }
}
