using System.Security.Cryptography;
using System.Text.Json.Serialization;
using System.Text.Json;
using System.Text;
using Iot.Contract.Signing;

namespace Iot.Gateway.Release;

/// <summary>
/// release.json: what the fleet needs to offer a release (its OTA command copies version, size, sha256, sig and
/// allow_downgrade verbatim and adds the job id and the download URL) and what people read (notes, created).
/// Only target, version, size, sha256 and allow_downgrade are signed (contract/Iot.Contract/Signing/ReleaseManifest).
/// </summary>
public sealed record ReleaseDocument(
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("allow_downgrade")] bool AllowDowngrade,
    [property: JsonPropertyName("sig")] string Signature,
    [property: JsonPropertyName("key")] string PublicKey,
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("notes")] string Notes,
    [property: JsonPropertyName("created")] DateTimeOffset Created)
{
    public const string FileName = "release.json";
    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The signed part, as the device rebuilds it.</summary>
    public ReleaseManifest ToManifest()
    {
        if (Size is < 1 or > int.MaxValue) throw new InvalidDataException("size out of range");
        var manifest = new ReleaseManifest { Target = Target, Version = Version, Size = (int)Size, AllowDowngrade = AllowDowngrade };
        if (!ReleaseManifest.TryDecodeHex(Sha256, manifest.Sha256)) throw new InvalidDataException("sha256 must be 64 hex digits");
        if (manifest.Validate() is { } error) throw new InvalidDataException(error);
        return manifest;
    }

    /// <summary>The canonical bytes the signature covers.</summary>
    public byte[] SignedMessage()
    {
        var buffer = new byte[ReleaseManifest.MaxMessageBytes];
        return buffer[..ToManifest().WriteSignedMessage(buffer)];
    }

    public static ReleaseDocument Load(string path) =>
        JsonSerializer.Deserialize<ReleaseDocument>(System.IO.File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} is empty");
}

/// <summary>Publishing and checking releases: the work behind the CLI's commands.</summary>
public static class Releases
{
    /// <summary>
    /// Packs (a folder) or copies (a file) the bundle into outDir, hashes it, signs the manifest with key and
    /// writes release.json next to it; the signature is checked with the device's own verifier before returning.
    /// </summary>
    public static ReleaseDocument Publish(string bundle, string version, string notes, ReleaseKey key, string outDir, string target,
        bool allowDowngrade, DateTimeOffset created, Action<string, long, long>? progress = null)
    {
        if (!ReleaseManifest.IsValidVersion(version)) throw new ArgumentException($"'{version}' is not a version (1.5.0, 1.5.0-rc.1)");
        if (!ReleaseManifest.IsValidName(target, ReleaseManifest.MaxTargetLength, false)) throw new ArgumentException($"'{target}' is not a target name ([a-z0-9_-])");
        Directory.CreateDirectory(outDir);
        string fileName = $"firmware-{target}-{version}.bin";
        string output = Path.Combine(outDir, fileName);
        if (Directory.Exists(bundle)) FirmwareBundle.Pack(bundle, output, (done, total) => progress?.Invoke("packing", done, total));
        else if (File.Exists(bundle)) Copy(bundle, output, progress);
        else throw new FileNotFoundException($"{bundle} does not exist");

        var (size, sha256) = Hash(output, progress);
        if (size > int.MaxValue) throw new InvalidDataException("a bundle must stay below 2 GiB");
        var unsigned = new ReleaseDocument(target, version, size, Convert.ToHexStringLower(sha256), allowDowngrade, "", key.PublicKeyHex,
            fileName, notes, created);
        byte[] message = unsigned.SignedMessage();
        byte[] signature = key.Sign(message);
        if (!new Ed25519Verifier().Verify(key.PublicKey, signature, message, 0, message.Length))
            throw new CryptographicException("the signature does not verify with the device's verifier");
        var release = unsigned with { Signature = Convert.ToHexStringLower(signature) };
        File.WriteAllText(Path.Combine(outDir, ReleaseDocument.FileName), JsonSerializer.Serialize(release, ReleaseDocument.Json) + "\n");
        return release;
    }

    /// <summary>Checks a release as a device would: signature over the manifest, then the bundle's size and SHA-256. Null when good.</summary>
    public static string? Verify(ReleaseDocument release, byte[] publicKey, string? bundlePath, Action<string, long, long>? progress = null)
    {
        byte[] message;
        byte[] signature;
        try
        {
            message = release.SignedMessage();
            signature = Convert.FromHexString(release.Signature);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException)
        {
            return "bad_manifest: " + e.Message;
        }
        if (signature.Length != Ed25519Verifier.SignatureBytes || !new Ed25519Verifier().Verify(publicKey, signature, message, 0, message.Length))
            return "bad_signature";
        if (bundlePath is null) return null;
        var (size, sha256) = Hash(bundlePath, progress);
        if (size != release.Size) return $"size_mismatch: the bundle has {size} bytes, the release says {release.Size}";
        if (!Convert.ToHexStringLower(sha256).Equals(release.Sha256, StringComparison.OrdinalIgnoreCase)) return "hash_mismatch";
        return null;
    }

    private static void Copy(string from, string to, Action<string, long, long>? progress)
    {
        using var source = File.OpenRead(from);
        using var target = File.Create(to);
        long total = source.Length, done = 0;
        var buffer = new byte[81920];
        int n;
        while ((n = source.Read(buffer)) > 0)
        {
            target.Write(buffer, 0, n);
            done += n;
            progress?.Invoke("copying", done, total);
        }
    }

    private static (long Size, byte[] Sha256) Hash(string path, Action<string, long, long>? progress)
    {
        using var stream = File.OpenRead(path);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long total = stream.Length, done = 0;
        var buffer = new byte[81920];
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            sha.AppendData(buffer, 0, n);
            done += n;
            progress?.Invoke("hashing", done, total);
        }
        return (done, sha.GetHashAndReset());
    }
}

/// <summary>Progress on standard error: a bar redrawn in place on a terminal, a line per 10 % otherwise.</summary>
public sealed class ProgressReporter(TextWriter output, bool interactive)
{
    private string _stage = "";
    private int _last = -1;

    public void Report(string stage, long done, long total)
    {
        int percent = total == 0 ? 100 : (int)(100 * done / total);
        if (stage != _stage)
        {
            if (interactive && _stage.Length > 0) output.WriteLine();
            _stage = stage;
            _last = -1;
        }
        int step = interactive ? percent / 2 : percent / 10;
        if (step == _last) return;
        _last = step;
        string sizes = $"{done / 1048576.0:0.0} of {total / 1048576.0:0.0} MiB";
        if (interactive)
        {
            var bar = new StringBuilder().Append('#', percent / 5).Append(' ', 20 - percent / 5);
            output.Write($"\r{stage,-8} [{bar}] {percent,3}% {sizes}");
            if (done == total)
            {
                output.WriteLine();
                _stage = "";
            }
        }
        else
        {
            output.WriteLine($"{stage} {percent}% {sizes}");
        }
    }
}
