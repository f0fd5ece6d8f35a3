using Dapper;
using Iot.Contract;
using Iot.Fleet.Api;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Broker;

/// <summary>Where the broker's account files live and how to make it reload them (section "Broker").</summary>
public sealed class BrokerSecurityOptions
{
    /// <summary>Mosquitto's <c>password_file</c>, written by the fleet.</summary>
    public string PasswordFile { get; set; } = ".iot/mosquitto/passwords";

    /// <summary>Mosquitto's <c>acl_file</c>, written by the fleet.</summary>
    public string AclFile { get; set; } = ".iot/mosquitto/acl";

    /// <summary>Mosquitto's <c>pid_file</c>: the fleet sends SIGHUP to this process after writing the files.
    /// Null when the host passes its own reload delegate.</summary>
    public string? PidFile { get; set; }

    /// <summary>User name of the fleet's own account.</summary>
    public string FleetUserName { get; set; } = "fleet";
}

/// <summary>What kind of client an account is for.</summary>
public enum BrokerAccountKind
{
    /// <summary>The fleet service: reads every device's topics, writes config, cmd and prov.</summary>
    Fleet,

    /// <summary>A claimed device: everything under its own <c>iot/v1/{id}/</c>.</summary>
    Device,

    /// <summary>An unclaimed device: only <c>iot/v1/{id}/prov/#</c>.</summary>
    Bootstrap,
}

/// <summary>A user name and its password, returned once when created; the fleet keeps only the hash.</summary>
public sealed record BrokerCredentials(string UserName, string Password);

/// <summary>One active account, as listed by <see cref="BrokerAccounts.List"/>.</summary>
public sealed record BrokerAccount(string UserName, BrokerAccountKind Kind, string? Device, bool ClientCertificate, DateTimeOffset CreatedAt);

/// <summary>
/// Who may connect to the broker and where they may publish and subscribe. The accounts live in the fleet
/// database (password hashes only), each change with the next revision; after changes, the accounts changed since
/// the last apply are read and handed to the broker's <see cref="IBrokerAuthority"/> (Mosquitto:
/// <see cref="MosquittoAccountFiles"/> rewrites its files and makes it reload them). Changes that arrive while an apply
/// runs share the next one, so a burst of registrations costs a few applies, not one each.
/// See README.md in this folder for what the broker does to connected clients.
/// </summary>
public sealed class BrokerAccounts : IDisposable
{
    /// <summary>Prefix of bootstrap user names. Device ids are upper case (<c>^[A-Z0-9][A-Z0-9-]{2,31}$</c>),
    /// so <c>boot-{id}</c> can never be a device's user name.</summary>
    public const string BootstrapPrefix = "boot-";

    private readonly FleetDatabase _database;
    private readonly BrokerSecurityOptions _options;
    private readonly IBrokerAuthority _authority;
    private readonly TimeProvider _time;
    // _lock keeps a check and the change it allows together (a revoked device stays revoked); _files keeps one writer.
    private readonly Lock _lock = new();
    private readonly Lock _files = new();

    // Changes committed to the database but not yet in an applied file wait on _pending; one writer at a time applies them.
    private readonly Lock _batch = new();
    private TaskCompletionSource _pending = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _changed;
    private bool _writing;
    private long _writes;

    // The accounts as last applied, in file order (kind, then user name), so an apply reads only the rows changed since.
    private readonly SortedDictionary<(string Kind, string UserName), BrokerAccountEntry> _written = new(OrdinalPairs.Instance);
    private readonly Dictionary<string, string> _writtenKind = new(StringComparer.Ordinal);
    private bool _loaded;
    private long _seenRevision;

    /// <summary>Accounts for Mosquitto (<see cref="MosquittoAccountFiles"/>): <paramref name="reload"/> makes the broker re-read
    /// its files; null sends SIGHUP to the process in <see cref="BrokerSecurityOptions.PidFile"/>.</summary>
    public BrokerAccounts(FleetDatabase database, BrokerSecurityOptions options, Action? reload = null, TimeProvider? time = null)
        : this(database, options, new MosquittoAccountFiles(options, reload), time)
    {
    }

    /// <summary>Accounts for the broker <paramref name="authority"/> makes enforce them.</summary>
    public BrokerAccounts(FleetDatabase database, BrokerSecurityOptions options, IBrokerAuthority authority, TimeProvider? time = null)
    {
        _database = database;
        _options = options;
        _authority = authority;
        _time = time ?? TimeProvider.System;
        if (options.FleetUserName.StartsWith(BootstrapPrefix, StringComparison.Ordinal) || WireProtocol.DeviceId().IsMatch(options.FleetUserName))
            throw new ArgumentException($"The fleet's user name '{options.FleetUserName}' could be a device's or a bootstrap account's.", nameof(options));
    }

    /// <summary>How many times the accounts were applied to the broker (a burst of changes shares one).</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>Creates the fleet's own account, or gives it a new password (the old one stops working). With
    /// <paramref name="instance"/> (a fleet instance's MQTT client id) each instance has an account of its own,
    /// `{FleetUserName}@{instance}`, so an instance that starts never resets the password another one is using.</summary>
    public BrokerCredentials CreateFleetAccount(string? instance = null)
    {
        if (instance is not null && !System.Text.RegularExpressions.Regex.IsMatch(instance, "^[A-Za-z0-9_.-]{1,64}$"))
            throw new ArgumentException($"fleet instance '{instance}' is not a plain client id", nameof(instance));
        var user = instance is null ? _options.FleetUserName : $"{_options.FleetUserName}@{instance}";
        return SetPassword(user, BrokerAccountKind.Fleet, device: null, MosquittoPassword.Generate());
    }

    /// <summary>Creates a device's account with a new random password, or replaces the password of an existing one.
    /// A device still connected with the old password is disconnected by the reload. A revoked account gets a new
    /// password only when <paramref name="reinstate"/> says so: a new password must never quietly undo a revoke.</summary>
    /// <exception cref="RefusalException">409: the account is revoked and <paramref name="reinstate"/> is false.</exception>
    public BrokerCredentials CreateDevice(string deviceId, bool reinstate = false) => CreateDeviceAsync(deviceId, reinstate).GetAwaiter().GetResult();

    /// <summary><see cref="CreateDevice"/> without holding a thread while the files are written: completes once the
    /// account is in the files the broker was told to reload, so the device can connect with the answer.</summary>
    /// <exception cref="RefusalException">409: the account is revoked and <paramref name="reinstate"/> is false.</exception>
    public async Task<BrokerCredentials> CreateDeviceAsync(string deviceId, bool reinstate = false)
    {
        RequireDeviceId(deviceId);
        var password = MosquittoPassword.Generate();
        // Hashed outside the lock: concurrent registrations hash in parallel.
        var hash = MosquittoPassword.Hash(password);
        lock (_lock)
        {
            if (!reinstate && IsRevoked(deviceId))
                throw RefusalException.Conflict($"device {deviceId} is revoked; new credentials would reinstate it, which needs an engineer to ask for it explicitly (?reinstate=true)");
            Store(deviceId, BrokerAccountKind.Device, deviceId, hash);
        }
        await Changed();
        return new BrokerCredentials(deviceId, password);
    }

    /// <summary>True when the device's account was revoked and has not been reinstated since.</summary>
    public bool IsRevoked(string deviceId)
    {
        using var connection = _database.Open();
        return connection.ExecuteScalar<long>("SELECT COUNT(*) FROM broker_accounts WHERE username = @deviceId AND kind = 'device' AND revoked_at IS NOT NULL",
            new { deviceId }) > 0;
    }

    /// <summary>Creates a device account for a device that logs in with a client certificate (CN = device id,
    /// on the broker's client-certificate listener) and has no password.</summary>
    public void AddCertificateDevice(string deviceId)
    {
        RequireDeviceId(deviceId);
        Upsert(deviceId, BrokerAccountKind.Device, deviceId, passwordHash: null);
    }

    /// <summary>Lets an unclaimed device use <c>iot/v1/{id}/prov/#</c> as <c>boot-{id}</c>, with the password
    /// it was manufactured with, or a new random one when <paramref name="password"/> is null.</summary>
    public BrokerCredentials AddBootstrap(string deviceId, string? password = null)
    {
        RequireDeviceId(deviceId);
        if (password is not null && (password.Length < 12 || password.Contains('\n')))
            throw new ArgumentException("A bootstrap password has at least 12 characters and no line breaks.", nameof(password));
        return SetPassword(BootstrapPrefix + deviceId, BrokerAccountKind.Bootstrap, deviceId, password ?? MosquittoPassword.Generate());
    }

    /// <summary>Ends a device's bootstrap account; false when it had none.</summary>
    public bool RevokeBootstrap(string deviceId) => Revoke(BootstrapPrefix + deviceId, BrokerAccountKind.Bootstrap);

    /// <summary>Ends a device's account: a connected password device is disconnected and cannot log in again;
    /// a certificate device loses every topic (see README.md). False when it had none.</summary>
    public bool RevokeDevice(string deviceId) => Revoke(deviceId, BrokerAccountKind.Device);

    /// <summary>The active accounts.</summary>
    public IReadOnlyList<BrokerAccount> List()
    {
        using var connection = _database.Open();
        return connection.Query<(string UserName, string Kind, string? Device, string? Hash, long CreatedAt)>(
                "SELECT username, kind, device, password_hash, created_at FROM broker_accounts WHERE revoked_at IS NULL ORDER BY username")
            .Select(a => new BrokerAccount(a.UserName, Enum.Parse<BrokerAccountKind>(a.Kind, ignoreCase: true), a.Device, a.Hash is null,
                DateTimeOffset.FromUnixTimeMilliseconds(a.CreatedAt)))
            .ToList();
    }

    /// <summary>Writes the password file and ACL file from the database and makes the broker reload them.
    /// Changes do this through <see cref="Changed"/>; call it at start, so the files match the database.</summary>
    public void Apply()
    {
        lock (_files) _loaded = false;
        Write();
    }

    /// <summary>Reads the accounts changed since this instance's last apply (all, the first time) and has the broker enforce
    /// them. Another fleet instance may apply to the same broker: the authority's exclusive section keeps one at a time
    /// across processes, and each reads every change up to its apply, whoever made it, so the broker never goes back to an
    /// older state.</summary>
    private void Write()
    {
        lock (_files)
        {
            using var across = _authority.Exclusive();
            using var connection = _database.Open();
            const string columns = "SELECT username, kind, device, password_hash, revoked_at IS NOT NULL, revision FROM broker_accounts";
            if (!_loaded)
            {
                _written.Clear();
                _writtenKind.Clear();
            }
            var rows = connection.Query<(string UserName, string Kind, string? Device, string? Hash, long Revoked, long Revision)>(
                _loaded ? $"{columns} WHERE revision > @seen" : columns, new { seen = _seenRevision }).ToList();
            _loaded = true;
            var changed = new List<BrokerAccountEntry>(rows.Count);
            foreach (var r in rows)
            {
                var row = new BrokerAccountEntry(r.UserName, Enum.Parse<BrokerAccountKind>(r.Kind, ignoreCase: true), r.Device, r.Hash, r.Revoked != 0);
                if (_writtenKind.Remove(row.UserName, out var kind)) _written.Remove((kind, row.UserName));
                _written[(r.Kind, row.UserName)] = row;
                _writtenKind[row.UserName] = r.Kind;
                _seenRevision = Math.Max(_seenRevision, r.Revision);
                changed.Add(row);
            }
            _authority.Apply(_written.Values, changed);
            Interlocked.Increment(ref _writes);
        }
    }

    /// <summary>Orders (kind, user name) as SQLite's BINARY collation would.</summary>
    private sealed class OrdinalPairs : IComparer<(string Kind, string UserName)>
    {
        public static readonly OrdinalPairs Instance = new();

        public int Compare((string Kind, string UserName) x, (string Kind, string UserName) y) =>
            string.CompareOrdinal(x.Kind, y.Kind) is var kind and not 0 ? kind : string.CompareOrdinal(x.UserName, y.UserName);
    }

    /// <summary>Completes once every change committed before the call is in written files and the broker was signalled.
    /// The first change of a burst starts a writer; changes that arrive while it writes share its next write.</summary>
    private Task Changed()
    {
        lock (_batch)
        {
            _changed = true;
            var applied = _pending.Task;
            if (!_writing)
            {
                _writing = true;
                // Its own thread: callers of the synchronous methods block on the write and must not starve it.
                new Thread(WriteWhileChanged) { IsBackground = true, Name = "broker accounts writer" }.Start();
            }
            return applied;
        }
    }

    private void WriteWhileChanged()
    {
        while (true)
        {
            TaskCompletionSource batch;
            lock (_batch)
            {
                if (!_changed)
                {
                    _writing = false;
                    return;
                }
                // Taken before reading the database, so every change in this batch is committed and read.
                batch = _pending;
                _pending = new(TaskCreationOptions.RunContinuationsAsynchronously);
                _changed = false;
            }
            try
            {
                Write();
                batch.SetResult();
            }
            catch (Exception e)
            {
                // The callers see why their account may not work yet (a full disk, the broker gone); the next change retries.
                batch.SetException(e);
            }
        }
    }

    public void Dispose() => (_authority as IDisposable)?.Dispose();

    private BrokerCredentials SetPassword(string userName, BrokerAccountKind kind, string? device, string password)
    {
        Upsert(userName, kind, device, MosquittoPassword.Hash(password));
        return new BrokerCredentials(userName, password);
    }

    private void Upsert(string userName, BrokerAccountKind kind, string? device, string? passwordHash)
    {
        Store(userName, kind, device, passwordHash);
        Changed().GetAwaiter().GetResult();
    }

    private void Store(string userName, BrokerAccountKind kind, string? device, string? passwordHash)
    {
        using var connection = _database.Open();
        // In a transaction: writers take turns (on PostgreSQL too), so revisions follow the order of the commits.
        using var tx = connection.BeginTransaction();
        connection.Execute(
            $"""
            INSERT INTO broker_accounts (username, kind, device, password_hash, created_at, revoked_at, revision)
            VALUES (@userName, @kind, @device, @passwordHash, @now, NULL, {NextRevision})
            ON CONFLICT (username) DO UPDATE SET kind = excluded.kind, device = excluded.device,
                password_hash = excluded.password_hash, created_at = excluded.created_at, revoked_at = NULL, revision = excluded.revision
            """,
            new { userName, kind = kind.ToString().ToLowerInvariant(), device, passwordHash, now = _time.GetUtcNow().ToUnixTimeMilliseconds() }, tx);
        tx.Commit();
    }

    private const string NextRevision = "(SELECT COALESCE(MAX(revision), 0) + 1 FROM broker_accounts)";

    private bool Revoke(string userName, BrokerAccountKind kind)
    {
        int revoked;
        using (var connection = _database.Open())
        using (var tx = connection.BeginTransaction())
        {
            revoked = connection.Execute(
                $"UPDATE broker_accounts SET revoked_at = @now, password_hash = NULL, revision = {NextRevision} WHERE username = @userName AND kind = @kind AND revoked_at IS NULL",
                new { userName, kind = kind.ToString().ToLowerInvariant(), now = _time.GetUtcNow().ToUnixTimeMilliseconds() }, tx);
            tx.Commit();
        }
        if (revoked > 0) Changed().GetAwaiter().GetResult();
        return revoked > 0;
    }

    private static void RequireDeviceId(string deviceId)
    {
        if (!WireProtocol.DeviceId().IsMatch(deviceId))
            throw new ArgumentException($"'{deviceId}' is not a device id ({Iot.Contract.WireLimits.DeviceIdPattern}).", nameof(deviceId));
    }

}
