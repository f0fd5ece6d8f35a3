using System.Runtime.InteropServices;
using System.Text;
using Iot.Contract;
using Iot.Fleet.Storage;

namespace Iot.Fleet.Broker;

/// <summary>
/// Mosquitto's side of <see cref="IBrokerAuthority"/>: writes its <c>password_file</c> and <c>acl_file</c> from the
/// accounts, atomically, and makes it reload them (SIGHUP), which keeps every other connection open and drops a client
/// whose password no longer holds. Fleet instances on one broker take turns through a lock file beside the password file.
/// </summary>
public sealed class MosquittoAccountFiles : IBrokerAuthority, IDisposable
{
    /// <summary>Mosquitto clears its reload flag after reloading, so a SIGHUP that arrives during a reload is
    /// lost. Each change therefore signals at once and once more this long after the last change.</summary>
    public static readonly TimeSpan SettleDelay = TimeSpan.FromMilliseconds(250);

    private readonly BrokerSecurityOptions _options;
    private readonly Action _reload;
    private readonly Lock _signal = new();
    private readonly Timer _settle;

    // What this process last wrote: the user names with a line in the password file, the files' state after the write
    // (another fleet instance's write changes it) and the ACL text. A change that only adds accounts appends their lines,
    // so registering a city's gateways one by one costs the same for the last as for the first.
    private readonly HashSet<string> _passwordLines = new(StringComparer.Ordinal);
    private FileStamp? _passwordWritten;
    private FileStamp? _aclWritten;
    private string? _aclText;

    /// <summary><paramref name="reload"/> makes the broker re-read its files; null sends SIGHUP to the
    /// process in <see cref="BrokerSecurityOptions.PidFile"/>.</summary>
    public MosquittoAccountFiles(BrokerSecurityOptions options, Action? reload = null)
    {
        _options = options;
        _reload = reload ?? (options.PidFile is { } pidFile
            ? () => SignalReload(pidFile)
            : throw new ArgumentException("Give a reload delegate or BrokerSecurityOptions.PidFile.", nameof(reload)));
        _settle = new Timer(_ => ReloadAgain());
    }

    /// <summary>An exclusive lock on `{password file}.lock`, held by one fleet process at a time (flock underneath).</summary>
    public IDisposable Exclusive()
    {
        var path = _options.PasswordFile + ".lock";
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 400)
            {
                // The other instance is writing (a few milliseconds); give up after about 10 s.
                Thread.Sleep(25);
            }
        }
    }

    public void Apply(IReadOnlyCollection<BrokerAccountEntry> all, IReadOnlyCollection<BrokerAccountEntry> changed)
    {
        lock (_signal)
        {
            var onlyNew = _passwordWritten is { } written && written == FileStamp.Of(_options.PasswordFile)
                && changed.All(e => !e.Revoked && (e.PasswordHash is null || !_passwordLines.Contains(e.UserName)));
            if (onlyNew) AppendPasswords(changed);
            else RewritePasswords(all);
            var acl = AclFile(all);
            if (acl != _aclText || _aclWritten != FileStamp.Of(_options.AclFile))
            {
                WriteAtomically(_options.AclFile, acl);
                _aclText = acl;
                _aclWritten = FileStamp.Of(_options.AclFile);
            }
            _reload();
            _settle.Change(SettleDelay, Timeout.InfiniteTimeSpan);
        }
    }

    private void RewritePasswords(IReadOnlyCollection<BrokerAccountEntry> all)
    {
        WriteAtomically(_options.PasswordFile, PasswordFile(all));
        _passwordLines.Clear();
        foreach (var a in all.Where(HasPasswordLine)) _passwordLines.Add(a.UserName);
        _passwordWritten = FileStamp.Of(_options.PasswordFile);
    }

    /// <summary>Appends the new accounts' lines and syncs them. The broker reloads only when told, after this, so it never
    /// reads half a line; a crash in the middle leaves at most a broken last line, which matches no password and is gone
    /// with the full rewrite at the fleet's next start.</summary>
    private void AppendPasswords(IReadOnlyCollection<BrokerAccountEntry> added)
    {
        var lines = PasswordFile(added);
        if (lines.Length > 0)
        {
            using var file = new FileStream(_options.PasswordFile, FileMode.Append, FileAccess.Write, FileShare.Read);
            file.Write(Encoding.UTF8.GetBytes(lines));
            file.Flush(flushToDisk: true);
        }
        foreach (var a in added.Where(HasPasswordLine)) _passwordLines.Add(a.UserName);
        _passwordWritten = FileStamp.Of(_options.PasswordFile);
    }

    /// <summary>A file's length and last write, to tell whether someone else wrote it since.</summary>
    private readonly record struct FileStamp(long Length, DateTime Modified)
    {
        public static FileStamp Of(string path)
        {
            var info = new FileInfo(path);
            return info.Exists ? new FileStamp(info.Length, info.LastWriteTimeUtc) : new FileStamp(-1, default);
        }
    }

    // Certificate devices and revoked accounts have no line: the certificate listener takes the CN instead of a password.
    private static bool HasPasswordLine(BrokerAccountEntry a) => a.PasswordHash is not null && !a.Revoked;

    public void Dispose() => _settle.Dispose();

    private void ReloadAgain()
    {
        try
        {
            // Under the instances' lock too (taken first, as Apply's caller does): no reload while another instance appends.
            using (Exclusive())
            lock (_signal)
                _reload();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or FormatException or UnauthorizedAccessException)
        {
            // The broker is gone or restarting; it reads the current files when it starts.
        }
    }

    /// <summary>Sends SIGHUP to the process whose id is in <paramref name="pidFile"/>.</summary>
    public static void SignalReload(string pidFile)
    {
        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        const int sighup = 1;
        if (kill(pid, sighup) != 0)
            throw new InvalidOperationException($"Cannot signal the broker (pid {pid} from {pidFile}): errno {Marshal.GetLastPInvokeError()}.");
    }

    private static string PasswordFile(IEnumerable<BrokerAccountEntry> accounts)
    {
        var text = new StringBuilder();
        foreach (var a in accounts.Where(HasPasswordLine)) text.Append(a.UserName).Append(':').Append(a.PasswordHash).Append('\n');
        return text.ToString();
    }

    private static string AclFile(IReadOnlyCollection<BrokerAccountEntry> accounts)
    {
        var root = Topics.Root;
        var text = new StringBuilder();
        text.Append("# Written by the fleet (Iot.Fleet.Broker.BrokerAccounts) from its database; edits are lost.\n");
        // Every device account is covered by one pattern (user name = device id), so the file does not grow with the
        // fleet: Mosquitto 2.0 looks each user block up in a list, on every reload and for every connected client.
        // A pattern applies to every account, so the fleet and bootstrap blocks deny their own iot/v1/{user name}/, and
        // a revoked device (a certificate device still logs in by its CN) gets a block that denies everything.
        // Deny lines are checked before a user's other lines and before the patterns.
        text.Append($"\npattern readwrite {root}/%u/#\n");
        foreach (var a in accounts.Where(a => !a.Revoked && a.Kind != BrokerAccountKind.Device))
        {
            text.Append('\n').Append("user ").Append(a.UserName).Append('\n');
            text.Append($"topic deny {root}/{a.UserName}/#\n");
            switch (a.Kind)
            {
                case BrokerAccountKind.Fleet:
                    text.Append($"topic read {root}/#\n");
                    text.Append($"topic write {root}/+/config\n");
                    text.Append($"topic write {root}/+/cmd\n");
                    text.Append($"topic write {root}/+/prov/#\n");
                    // Queue depth and dropped messages for the fleet's BrokerQueueWatch.
                    text.Append("topic read $SYS/broker/#\n");
                    break;
                case BrokerAccountKind.Bootstrap:
                    text.Append($"topic readwrite {root}/{a.Device}/prov/#\n");
                    break;
            }
        }
        foreach (var device in accounts.Where(a => a.Revoked && a.Kind == BrokerAccountKind.Device))
            text.Append('\n').Append("user ").Append(device.UserName).Append("\ntopic deny #\n");
        return text.ToString();
    }

    /// <summary>The broker reads either the old file or the new one. Owner read-write, group read: run the broker in the
    /// fleet's group when they are different users.</summary>
    private static void WriteAtomically(string path, string text) =>
        AtomicFile.Write(path, text, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
