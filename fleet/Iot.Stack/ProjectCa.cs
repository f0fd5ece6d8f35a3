using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Iot.Stack;

/// <summary>
/// The project's own certificate authority and the broker's server certificate, as PEM files in one
/// folder (ca.crt, ca.key, server.crt, server.key). Created on first use and reused afterwards, so
/// devices that were given ca.crt keep trusting the broker; the server certificate alone is issued
/// again when it nears expiry or no longer names this machine. Keys are ECDSA P-256, which both
/// OpenSSL (Mosquitto) and mbedTLS (ESP32) handle.
/// </summary>
public sealed class ProjectCa
{
    private static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);
    private static readonly TimeSpan ServerLifetime = TimeSpan.FromDays(825);
    private static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    private ProjectCa(string directory) => Directory = directory;

    /// <summary>The folder holding the PEM files.</summary>
    public string Directory { get; }

    /// <summary>The CA certificate devices and tools trust (give it to them; it is not secret).</summary>
    public string CaCertificatePath => Path.Combine(Directory, "ca.crt");

    /// <summary>The CA's private key (owner-only); needed to issue server and device certificates.</summary>
    public string CaKeyPath => Path.Combine(Directory, "ca.key");

    /// <summary>The broker's certificate, signed by the CA.</summary>
    public string ServerCertificatePath => Path.Combine(Directory, "server.crt");

    /// <summary>The broker's private key (owner-only).</summary>
    public string ServerKeyPath => Path.Combine(Directory, "server.key");

    /// <summary>Names the server certificate covers: 127.0.0.1, ::1, localhost and this machine's host name.</summary>
    public static IReadOnlyList<string> DefaultServerNames() =>
        new[] { "127.0.0.1", "::1", "localhost", Dns.GetHostName() }.Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>Loads the CA in <paramref name="directory"/>, creating it (and the server certificate) when missing.
    /// <paramref name="serverNames"/> are host names or IP addresses; <see cref="DefaultServerNames"/> when null.</summary>
    public static ProjectCa LoadOrCreate(string directory, IEnumerable<string>? serverNames = null)
    {
        var ca = new ProjectCa(Path.GetFullPath(directory));
        System.IO.Directory.CreateDirectory(ca.Directory);
        var names = (serverNames ?? DefaultServerNames()).ToList();
        if (!File.Exists(ca.CaCertificatePath) || !File.Exists(ca.CaKeyPath)) ca.CreateCa();
        if (!ca.ServerCertificateFits(names)) ca.IssueServerCertificate(names);
        return ca;
    }

    /// <summary>The CA certificate, e.g. for <c>MqttTlsOptions.CaCertificate</c>.</summary>
    public X509Certificate2 LoadCaCertificate() => X509Certificate2.CreateFromPem(File.ReadAllText(CaCertificatePath));

    /// <summary>Issues a client certificate for a device (CN = device id, client authentication only).
    /// Nothing is stored: the caller hands both PEM texts to the device.</summary>
    public IssuedCertificate IssueClientCertificate(string deviceId, TimeSpan? lifetime = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deviceId);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={deviceId}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ClientAuth)], false));
        using var certificate = Sign(request, lifetime ?? ServerLifetime);
        return new IssuedCertificate(certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    private void CreateCa()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=Iot Project CA {Guid.NewGuid():N}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var ca = request.CreateSelfSigned(now.AddMinutes(-5), now + CaLifetime);
        WritePrivate(CaKeyPath, key.ExportPkcs8PrivateKeyPem());
        WritePublic(CaCertificatePath, ca.ExportCertificatePem());
        // A new CA invalidates any server certificate signed by an old one.
        File.Delete(ServerCertificatePath);
    }

    private bool ServerCertificateFits(IReadOnlyList<string> names)
    {
        if (!File.Exists(ServerCertificatePath) || !File.Exists(ServerKeyPath)) return false;
        using var server = X509Certificate2.CreateFromPem(File.ReadAllText(ServerCertificatePath));
        using var ca = LoadCaCertificate();
        if (server.NotAfter.ToUniversalTime() - DateTime.UtcNow < RenewBefore) return false;
        if (server.Issuer != ca.Subject) return false;
        var san = server.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (san is null) return false;
        var dns = san.EnumerateDnsNames().ToHashSet(StringComparer.OrdinalIgnoreCase);
        var ips = san.EnumerateIPAddresses().ToHashSet();
        return names.All(n => IPAddress.TryParse(n, out var ip) ? ips.Contains(ip) : dns.Contains(n));
    }

    private void IssueServerCertificate(IReadOnlyList<string> names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={names.FirstOrDefault(n => !IPAddress.TryParse(n, out _)) ?? "localhost"}"), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var ip)) san.AddIpAddress(ip);
            else san.AddDnsName(name);
        }
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuth)], false));
        using var server = Sign(request, ServerLifetime);
        WritePrivate(ServerKeyPath, key.ExportPkcs8PrivateKeyPem());
        WritePublic(ServerCertificatePath, server.ExportCertificatePem());
    }

    private X509Certificate2 Sign(CertificateRequest request, TimeSpan lifetime)
    {
        using var caKey = ECDsa.Create();
        caKey.ImportFromPem(File.ReadAllText(CaKeyPath));
        using var caPublic = LoadCaCertificate();
        using var ca = caPublic.CopyWithPrivateKey(caKey);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var now = DateTimeOffset.UtcNow;
        var notAfter = now + lifetime < ca.NotAfter ? now + lifetime : new DateTimeOffset(ca.NotAfter.ToUniversalTime());
        return request.Create(ca, now.AddMinutes(-5), notAfter, RandomNumberGenerator.GetBytes(16));
    }

    private static void WritePublic(string path, string pem) => Write(path, pem,
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

    private static void WritePrivate(string path, string pem) => Write(path, pem, UnixFileMode.UserRead | UnixFileMode.UserWrite);

    /// <summary>Temp file and rename, so a crash never leaves half a key; the mode is set before the key is written.</summary>
    private static void Write(string path, string text, UnixFileMode mode)
    {
        var temp = path + ".tmp";
        File.Delete(temp);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
        }
        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>A certificate and its private key, both PEM; load with <c>X509Certificate2.CreateFromPem(cert, key)</c>.</summary>
public sealed record IssuedCertificate(string CertificatePem, string PrivateKeyPem)
{
    /// <summary>The certificate with its private key, for a TLS client.</summary>
    public X509Certificate2 ToCertificate() => X509Certificate2.CreateFromPem(CertificatePem, PrivateKeyPem);
}
