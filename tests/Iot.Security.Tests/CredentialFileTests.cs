using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Iot.Fleet.Broker;
using Iot.Fleet.Storage;
using Iot.Stack;
using Xunit;

namespace Iot.Security.Tests;

/// <summary>The files the broker reads: password hashes in Mosquitto's format, ACLs, and the project CA.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CredentialFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("iot-security-files-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Our_hash_reads_hashes_written_by_mosquitto_passwd()
    {
        var file = Path.Combine(_directory, "pw");
        using (var passwd = Process.Start(new ProcessStartInfo("mosquitto_passwd", ["-c", "-b", file, "NS-0001", "s3cret pass"]) { UseShellExecute = false })!)
        {
            passwd.WaitForExit();
            Assert.Equal(0, passwd.ExitCode);
        }
        var hash = File.ReadAllText(file).Trim().Split(':', 2)[1];
        Assert.StartsWith("$7$", hash);
        Assert.True(MosquittoPassword.Verify("s3cret pass", hash));
        Assert.False(MosquittoPassword.Verify("s3cret pasS", hash));

        var ours = MosquittoPassword.Hash("s3cret pass");
        Assert.Matches(@"^\$7\$1000\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$", ours);
        Assert.True(MosquittoPassword.Verify("s3cret pass", ours));
        Assert.NotEqual(ours, MosquittoPassword.Hash("s3cret pass"));
        Assert.Matches("^[A-Za-z0-9_-]{43}$", MosquittoPassword.Generate());
    }

    [Fact]
    public void A_second_fleet_instance_gets_an_account_of_its_own_and_leaves_the_first_ones_password_alone()
    {
        var database = new FleetDatabase($"Data Source={Path.Combine(_directory, "fleet.db")}");
        database.Migrate();
        var options = new BrokerSecurityOptions { PasswordFile = Path.Combine(_directory, "m", "passwords"), AclFile = Path.Combine(_directory, "m", "acl") };
        using var accounts = new BrokerAccounts(database, options, () => { });
        var first = accounts.CreateFleetAccount("fleet-1");
        var second = accounts.CreateFleetAccount("fleet-2");

        var hashes = File.ReadAllLines(options.PasswordFile).ToDictionary(l => l.Split(':')[0], l => l[(l.IndexOf(':') + 1)..]);
        Assert.True(MosquittoPassword.Verify(first.Password, hashes["fleet@fleet-1"]));
        Assert.True(MosquittoPassword.Verify(second.Password, hashes["fleet@fleet-2"]));
        Assert.Contains("user fleet@fleet-2\ntopic deny iot/v1/fleet@fleet-2/#\ntopic read iot/v1/#\n", File.ReadAllText(options.AclFile));
        Assert.Throws<ArgumentException>(() => accounts.CreateFleetAccount("fleet 3:x"));
    }

    [Fact]
    public void Two_fleet_instances_writing_the_same_files_never_drop_each_others_accounts()
    {
        // Two processes on one database and one broker, each with its own view of what it last wrote.
        using var first = new FleetDatabase($"Data Source={Path.Combine(_directory, "fleet.db")}");
        first.Migrate();
        using var second = new FleetDatabase($"Data Source={Path.Combine(_directory, "fleet.db")}");
        var options = new BrokerSecurityOptions { PasswordFile = Path.Combine(_directory, "m", "passwords"), AclFile = Path.Combine(_directory, "m", "acl") };
        using var a = new BrokerAccounts(first, options, () => { });
        using var b = new BrokerAccounts(second, options, () => { });
        a.CreateFleetAccount("fleet-a");
        b.CreateFleetAccount("fleet-b");
        a.CreateDevice("NS-0001");
        b.CreateDevice("NS-0002");
        a.RevokeDevice("NS-0002");
        b.CreateDevice("NS-0003");

        // Whoever wrote last wrote everything, in the order every change was committed.
        var users = File.ReadAllLines(options.PasswordFile).Select(l => l.Split(':')[0]).ToList();
        Assert.Equal(["NS-0001", "NS-0003", "fleet@fleet-a", "fleet@fleet-b"], users.Order(StringComparer.Ordinal));
        Assert.Contains("user NS-0002\ntopic deny #\n", File.ReadAllText(options.AclFile));
    }

    [Fact]
    public void New_accounts_are_appended_and_a_new_password_or_a_revocation_rewrites_the_file()
    {
        using var database = new FleetDatabase($"Data Source={Path.Combine(_directory, "fleet.db")}");
        database.Migrate();
        var options = new BrokerSecurityOptions { PasswordFile = Path.Combine(_directory, "m", "passwords"), AclFile = Path.Combine(_directory, "m", "acl") };
        using var accounts = new BrokerAccounts(database, options, () => { });
        accounts.Apply();
        var first = accounts.CreateDevice("NS-0001");
        var inode = Inode(options.PasswordFile);
        accounts.CreateDevice("NS-0002");
        accounts.CreateDevice("NS-0003");
        Assert.Equal(inode, Inode(options.PasswordFile)); // appended in place, not replaced

        var replaced = accounts.CreateDevice("NS-0001"); // a new password: the old line must go
        Assert.NotEqual(inode, Inode(options.PasswordFile));
        Assert.True(accounts.RevokeDevice("NS-0002"));
        var lines = File.ReadAllLines(options.PasswordFile);
        Assert.Equal(["NS-0001", "NS-0003"], lines.Select(l => l.Split(':')[0]).Order(StringComparer.Ordinal));
        var hash = lines.Single(l => l.StartsWith("NS-0001:", StringComparison.Ordinal))["NS-0001:".Length..];
        Assert.True(MosquittoPassword.Verify(replaced.Password, hash));
        Assert.False(MosquittoPassword.Verify(first.Password, hash));
        Assert.Contains("user NS-0002\ntopic deny #\n", File.ReadAllText(options.AclFile));

        // Written by someone else meanwhile (another instance, an operator): the next change rewrites, never appends to it.
        File.WriteAllText(options.PasswordFile, "stranger:$7$x\n");
        accounts.CreateDevice("NS-0004");
        Assert.Equal(["NS-0001", "NS-0003", "NS-0004"], File.ReadAllLines(options.PasswordFile).Select(l => l.Split(':')[0]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Changes_made_while_the_broker_reloads_share_the_next_write()
    {
        using var database = new FleetDatabase($"Data Source={Path.Combine(_directory, "fleet.db")}");
        database.Migrate();
        var options = new BrokerSecurityOptions { PasswordFile = Path.Combine(_directory, "m", "passwords"), AclFile = Path.Combine(_directory, "m", "acl") };
        using var inReload = new SemaphoreSlim(0);
        using var release = new ManualResetEventSlim();
        var reloads = 0;
        using var accounts = new BrokerAccounts(database, options, () =>
        {
            if (Interlocked.Increment(ref reloads) != 1) return;
            inReload.Release();
            release.Wait();
        });
        var first = accounts.CreateDeviceAsync("NS-0001");
        Assert.True(await inReload.WaitAsync(TimeSpan.FromSeconds(10)), "the first write never reached the reload");
        // Fifty registrations while the broker reloads: each is stored and waits for the next write when its call returns.
        var burst = Enumerable.Range(2, 50).Select(i => accounts.CreateDeviceAsync($"NS-{i:D4}")).ToList();
        Assert.All(burst, b => Assert.False(b.IsCompleted));
        release.Set();
        await Task.WhenAll([first, .. burst]).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, accounts.Writes);
        Assert.Equal(51, File.ReadAllLines(options.PasswordFile).Length);
    }

    /// <summary>The file's inode: an append keeps it, a replacement by rename does not.</summary>
    private static long Inode(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var inode = long.Parse(stat.StandardOutput.ReadToEnd().Trim(), System.Globalization.CultureInfo.InvariantCulture);
        stat.WaitForExit();
        return inode;
    }

    [Fact]
    public void The_broker_authority_is_told_every_account_and_what_changed_since_it_was_last_told()
    {
        using var database = new FleetDatabase($"Data Source={Path.Combine(_directory, "fleet.db")}");
        database.Migrate();
        var authority = new RecordingAuthority();
        using var accounts = new BrokerAccounts(database, new BrokerSecurityOptions(), authority);
        accounts.CreateFleetAccount();
        accounts.CreateDevice("NS-0001");
        accounts.AddBootstrap("NS-0002", "label-password-0002");
        Assert.True(accounts.RevokeDevice("NS-0001"));

        var last = authority.Calls[^1];
        Assert.Equal(["boot-NS-0002", "NS-0001", "fleet"], last.All.Select(e => e.UserName));
        var revoked = Assert.Single(last.Changed);
        Assert.Equal(new BrokerAccountEntry("NS-0001", BrokerAccountKind.Device, "NS-0001", null, Revoked: true), revoked);
        Assert.Equal(BrokerAccountKind.Bootstrap, last.All.Single(e => e.UserName == "boot-NS-0002").Kind);
        // Each apply ran inside the authority's exclusive section, and nothing was applied twice for one change.
        Assert.Equal(authority.Calls.Count, authority.Exclusives);
        Assert.Equal(4, authority.Calls.Sum(c => c.Changed.Count));
    }

    private sealed class RecordingAuthority : IBrokerAuthority
    {
        public List<(List<BrokerAccountEntry> All, List<BrokerAccountEntry> Changed)> Calls { get; } = [];
        public int Exclusives { get; private set; }
        private bool _inside;

        public IDisposable Exclusive()
        {
            Exclusives++;
            _inside = true;
            return new Exit(this);
        }

        public void Apply(IReadOnlyCollection<BrokerAccountEntry> all, IReadOnlyCollection<BrokerAccountEntry> changed)
        {
            Assert.True(_inside, "applied outside the exclusive section");
            Calls.Add(([.. all], [.. changed]));
        }

        private sealed class Exit(RecordingAuthority owner) : IDisposable
        {
            public void Dispose() => owner._inside = false;
        }
    }

    [Fact]
    public void The_files_hold_hashes_and_one_device_pattern_and_the_database_no_password()
    {
        var database = new FleetDatabase($"Data Source={Path.Combine(_directory, "fleet.db")}");
        database.Migrate();
        var options = new BrokerSecurityOptions { PasswordFile = Path.Combine(_directory, "m", "passwords"), AclFile = Path.Combine(_directory, "m", "acl") };
        var reloads = 0;
        using var accounts = new BrokerAccounts(database, options, () => reloads++);
        var fleet = accounts.CreateFleetAccount();
        var device = accounts.CreateDevice("NS-0001");
        var bootstrap = accounts.AddBootstrap("NS-0002", "label-password-0002");
        accounts.AddCertificateDevice("NS-0003");
        Assert.True(reloads >= 4);
        Assert.Throws<ArgumentException>(() => accounts.CreateDevice("ns-0001"));
        Assert.Throws<ArgumentException>(() => new BrokerAccounts(database, new BrokerSecurityOptions { FleetUserName = "FLEET" }, () => { }));

        // New accounts are appended (the order of lines means nothing to Mosquitto); one line each.
        var passwords = File.ReadAllLines(options.PasswordFile).ToDictionary(l => l.Split(':')[0], l => l[(l.IndexOf(':') + 1)..]);
        Assert.Equal(["NS-0001", "boot-NS-0002", "fleet"], passwords.Keys.Order(StringComparer.Ordinal));
        Assert.True(MosquittoPassword.Verify(device.Password, passwords["NS-0001"]));
        Assert.True(MosquittoPassword.Verify(bootstrap.Password, passwords["boot-NS-0002"]));
        Assert.True(MosquittoPassword.Verify(fleet.Password, passwords["fleet"]));
        // Devices (password or certificate) share one pattern, so the file does not grow with the fleet; the other
        // accounts deny themselves the pattern's topics (AccessTests checks that against the broker).
        var acl = File.ReadAllText(options.AclFile);
        Assert.Contains("\npattern readwrite iot/v1/%u/#\n", acl);
        Assert.Single(Regex.Matches(acl, "^pattern ", RegexOptions.Multiline));
        Assert.DoesNotContain("NS-0001", acl);
        Assert.DoesNotContain("NS-0003", acl);
        Assert.Contains("user boot-NS-0002\ntopic deny iot/v1/boot-NS-0002/#\ntopic readwrite iot/v1/NS-0002/prov/#\n", acl);
        Assert.Contains("user fleet\ntopic deny iot/v1/fleet/#\ntopic read iot/v1/#\ntopic write iot/v1/+/config\ntopic write iot/v1/+/cmd\ntopic write iot/v1/+/prov/#\n", acl);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(options.PasswordFile));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(options.PasswordFile)!, "*.tmp"));

        // The clear passwords were returned once and are nowhere on disk.
        foreach (var file in Directory.GetFiles(_directory, "*", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllText(file, System.Text.Encoding.Latin1);
            Assert.DoesNotContain(device.Password, bytes);
            Assert.DoesNotContain(bootstrap.Password, bytes);
        }

        Assert.True(accounts.RevokeDevice("NS-0001"));
        Assert.True(accounts.RevokeBootstrap("NS-0002"));
        Assert.False(accounts.RevokeBootstrap("NS-0001"));
        Assert.Equal(["fleet"], File.ReadAllLines(options.PasswordFile).Select(l => l.Split(':')[0]));
        // A revoked device keeps a block that denies it everything, since the pattern would still serve its user name.
        Assert.Contains("user NS-0001\ntopic deny #\n", File.ReadAllText(options.AclFile));
        Assert.DoesNotContain("NS-0002", File.ReadAllText(options.AclFile));
        Assert.Equal(["NS-0003", "fleet"], accounts.List().Select(a => a.UserName));
    }

    [Fact]
    public void The_project_ca_is_created_once_and_signs_server_and_device_certificates()
    {
        var ca = ProjectCa.LoadOrCreate(Path.Combine(_directory, "tls"));
        var files = new[] { ca.CaCertificatePath, ca.CaKeyPath, ca.ServerCertificatePath, ca.ServerKeyPath }.Select(File.ReadAllText).ToList();
        var again = ProjectCa.LoadOrCreate(Path.Combine(_directory, "tls"));
        Assert.Equal(files, new[] { again.CaCertificatePath, again.CaKeyPath, again.ServerCertificatePath, again.ServerKeyPath }.Select(File.ReadAllText));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ca.CaKeyPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ca.ServerKeyPath));

        using var root = ca.LoadCaCertificate();
        using var server = X509Certificate2.CreateFromPem(File.ReadAllText(ca.ServerCertificatePath));
        var san = server.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains(System.Net.IPAddress.Loopback, san.EnumerateIPAddresses());
        Assert.Contains("localhost", san.EnumerateDnsNames());
        Assert.Contains(System.Net.Dns.GetHostName(), san.EnumerateDnsNames());
        Assert.True(Chains(server, root));

        using var device = ca.IssueClientCertificate("NS-0001").ToCertificate();
        Assert.True(device.HasPrivateKey);
        Assert.Equal("NS-0001", device.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        Assert.True(Chains(device, root));

        // A new host name re-issues the server certificate from the same CA.
        var renamed = ProjectCa.LoadOrCreate(Path.Combine(_directory, "tls"), ["127.0.0.1", "broker.example"]);
        Assert.Equal(files[0], File.ReadAllText(renamed.CaCertificatePath));
        Assert.NotEqual(files[2], File.ReadAllText(renamed.ServerCertificatePath));
    }

    private static bool Chains(X509Certificate2 certificate, X509Certificate2 root)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
