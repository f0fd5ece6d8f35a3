using System.Security.Cryptography;
using System.Text.Json;
using Iot.Contract.Signing;
using Iot.Gateway.Ota;
using Iot.Gateway.Release;

namespace Iot.Firmware.Tests.Ota;

/// <summary>The release tool (firmware/Gateway.Release) signs; the device's verifier must accept exactly what it signed.</summary>
public sealed class ReleaseToolTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("iot-release-").FullName;
    private static readonly DateTimeOffset Created = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (ReleaseKey Key, ReleaseDocument Release, string Out) Publish(bool folder = true)
    {
        string keyPath = Path.Combine(_dir, "release.key");
        var key = File.Exists(keyPath) ? ReleaseKey.Load(keyPath) : ReleaseKey.Generate();
        if (!File.Exists(keyPath)) key.Save(keyPath);
        string app = Path.Combine(_dir, "app");
        Directory.CreateDirectory(app);
        File.WriteAllBytes(Path.Combine(app, "Iot.Gateway.Core.pe"), RandomNumberGenerator.GetBytes(50_000));
        File.WriteAllBytes(Path.Combine(app, "Gateway.Esp32.pe"), RandomNumberGenerator.GetBytes(7_000));
        string bundle = folder ? app : Path.Combine(app, "Gateway.Esp32.pe");
        string output = Path.Combine(_dir, "out");
        var release = Releases.Publish(bundle, "1.5.0", "fixes the dust warm-up", ReleaseKey.Load(keyPath), output, "esp32", false, Created);
        return (key, release, output);
    }

    [Fact]
    public void A_published_release_verifies_with_the_device_verifier()
    {
        var (key, release, output) = Publish();

        var onDisk = ReleaseDocument.Load(Path.Combine(output, ReleaseDocument.FileName));
        Assert.Equal(release, onDisk);
        string bundle = Path.Combine(output, release.File);
        Assert.Equal(new FileInfo(bundle).Length, release.Size);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(bundle))), release.Sha256);
        Assert.StartsWith("IGB1", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(bundle), 0, 4));

        // What a device does: rebuild the canonical manifest from the command's fields and verify.
        var manifest = new ReleaseManifest { Target = "esp32", Version = release.Version, Size = (int)release.Size };
        Assert.True(ReleaseManifest.TryDecodeHex(release.Sha256, manifest.Sha256));
        var message = new byte[ReleaseManifest.MaxMessageBytes];
        int length = manifest.WriteSignedMessage(message);
        Assert.True(new Ed25519Verifier().Verify(key.PublicKey, Convert.FromHexString(release.Signature), message, 0, length));
        Assert.Null(Releases.Verify(release, key.PublicKey, bundle));
        Assert.Equal("fixes the dust warm-up", release.Notes);
        Assert.Equal(Created, release.Created);
    }

    [Fact]
    public void A_tampered_manifest_or_bundle_or_another_key_is_refused()
    {
        var (key, release, output) = Publish(folder: false);
        string bundle = Path.Combine(output, release.File);

        Assert.Equal("bad_signature", Releases.Verify(release with { Version = "1.6.0" }, key.PublicKey, bundle));
        Assert.Equal("bad_signature", Releases.Verify(release with { AllowDowngrade = true }, key.PublicKey, bundle));
        Assert.Equal("bad_signature", Releases.Verify(release with { Target = "virtual" }, key.PublicKey, bundle));
        Assert.Equal("bad_signature", Releases.Verify(release, ReleaseKey.Generate().PublicKey, bundle));
        Assert.Null(Releases.Verify(release with { Notes = "notes are not signed" }, key.PublicKey, bundle));

        var bytes = File.ReadAllBytes(bundle);
        bytes[100] ^= 1;
        File.WriteAllBytes(bundle, bytes);
        Assert.Equal("hash_mismatch", Releases.Verify(release, key.PublicKey, bundle));
    }

    [Fact]
    public void The_key_file_is_private_and_never_overwritten()
    {
        string path = Path.Combine(_dir, "k.key");
        var key = ReleaseKey.Generate();
        key.Save(path);

        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(key.PublicKeyHex, ReleaseKey.Load(path).PublicKeyHex);
        Assert.Throws<IOException>(() => ReleaseKey.Generate().Save(path));
        var json = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
        Assert.Equal(key.PublicKeyHex, json.GetProperty("public").GetString());
    }
}
