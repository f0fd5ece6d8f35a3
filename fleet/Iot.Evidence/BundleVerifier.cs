using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Iot.Evidence;

/// <summary>One thing the verifier checked: which file (or "bundle"), whether it holds, and what was found.</summary>
public sealed record VerifyCheck(string Subject, bool Holds, string Detail);

/// <summary>What to check a bundle against: the evidence keys the bureau published (any of them may have signed it; none
/// given means the key inside the bundle is taken, and said so), and device keys for recomputing HMAC proofs.</summary>
public sealed record VerifyOptions(IReadOnlyList<byte[]>? TrustedKeys = null, IReadOnlyDictionary<string, byte[]>? DeviceKeys = null);

/// <summary>The verdict: every check, whether all hold, and the key that signed.</summary>
public sealed class VerifyResult
{
    private readonly List<VerifyCheck> _checks = [];
    public IReadOnlyList<VerifyCheck> Checks => _checks;
    public IEnumerable<VerifyCheck> Failures => _checks.Where(c => !c.Holds);
    public bool Holds => _checks.Count > 0 && _checks.All(c => c.Holds);
    public string? KeyFingerprint { get; internal set; }
    /// <summary>No trusted key was given: the signature was checked against the key the bundle itself names.</summary>
    public bool KeyFromBundle { get; internal set; }
    internal void Ok(string subject, string detail) => _checks.Add(new VerifyCheck(subject, true, detail));
    internal void Fail(string subject, string detail) => _checks.Add(new VerifyCheck(subject, false, detail));
}

/// <summary>
/// Checks an evidence bundle offline (<see cref="BundleFormat"/>): the zip reads; manifest.sig is a valid Ed25519
/// signature over manifest.json by a trusted key (or the bundle's own, when none is given) and names the key the
/// manifest names; every listed file is there with its SHA-256 and size; nothing is there that is not listed;
/// manifest.sha256 says exactly what the manifest says; every device proof is bound to a raw message file of the bundle
/// and, when it can be recomputed offline, holds.
/// </summary>
public static class BundleVerifier
{
    public static VerifyResult Verify(string zipPath, VerifyOptions? options = null)
    {
        using var stream = File.OpenRead(zipPath);
        return Verify(stream, options);
    }

    public static VerifyResult Verify(Stream zip, VerifyOptions? options = null)
    {
        options ??= new VerifyOptions();
        var result = new VerifyResult();
        if (Read(zip, result) is not { } files) return result;

        if (!files.TryGetValue(BundleFormat.Manifest, out var manifestBytes))
        {
            result.Fail(BundleFormat.Manifest, "missing: the bundle has no manifest");
            return result;
        }
        JsonNode? manifest;
        try
        {
            manifest = JsonNode.Parse(manifestBytes);
        }
        catch (JsonException e)
        {
            result.Fail(BundleFormat.Manifest, $"not valid JSON ({e.Message})");
            return result;
        }
        if (manifest?["format"]?.GetValue<string>() is not BundleFormat.Format)
            result.Fail(BundleFormat.Manifest, $"format is not {BundleFormat.Format}");

        CheckSignature(files, manifest, manifestBytes, options, result);
        var listed = CheckFiles(files, manifest, result);
        if (listed is not null)
        {
            CheckSums(files, listed, manifestBytes, result);
            if (listed.Contains(BundleFormat.Proofs)) CheckProofs(files, options, result);
            else result.Ok(BundleFormat.Proofs, "none in this bundle (the fleet had no device proofs for its raw messages)");
        }
        return result;
    }

    private static Dictionary<string, byte[]>? Read(Stream zip, VerifyResult result)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(zip, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            result.Fail("bundle", $"not a readable zip file ({e.Message})");
            return null;
        }
        using (archive)
            foreach (var entry in archive.Entries)
            {
                if (entry.FullName.EndsWith('/')) continue; // a folder
                try
                {
                    using var data = entry.Open();
                    using var copy = new MemoryStream();
                    data.CopyTo(copy);
                    if (!files.TryAdd(entry.FullName, copy.ToArray()))
                        result.Fail(entry.FullName, "is in the zip twice");
                }
                catch (Exception e) when (e is InvalidDataException or IOException)
                {
                    result.Fail(entry.FullName, $"cannot be read from the zip: its compressed bytes are damaged ({e.Message})");
                }
            }
        return result.Failures.Any() ? null : files;
    }

    private static void CheckSignature(Dictionary<string, byte[]> files, JsonNode? manifest, byte[] manifestBytes, VerifyOptions options, VerifyResult result)
    {
        if (!files.TryGetValue(BundleFormat.Signature, out var sigBytes))
        {
            result.Fail(BundleFormat.Signature, "missing: the manifest is not signed");
            return;
        }
        if (DetachedSignature.Parse(sigBytes, out var error) is not { } signature)
        {
            result.Fail(BundleFormat.Signature, error!);
            return;
        }
        var key = signature.PublicKeyBytes;
        result.KeyFingerprint = Ed25519Keys.Fingerprint(key);
        if (signature.SignedFile != BundleFormat.Manifest)
            result.Fail(BundleFormat.Signature, $"signs '{signature.SignedFile}', not {BundleFormat.Manifest}");
        if (manifest?["signing_key"]?["public_key"]?.GetValue<string>() is not { } named || Ed25519Keys.ParsePublicKey(named) is not { } namedKey
            || !namedKey.AsSpan().SequenceEqual(key))
            result.Fail(BundleFormat.Signature, "its public key is not the signing_key the manifest names");
        if (options.TrustedKeys is { Count: > 0 } trusted)
        {
            if (!trusted.Any(t => t.AsSpan().SequenceEqual(key)))
            {
                result.Fail(BundleFormat.Signature,
                    $"signed by key {result.KeyFingerprint}, which is not among the {trusted.Count} trusted key(s) given");
                return;
            }
        }
        else result.KeyFromBundle = true;
        if (signature.Holds(manifestBytes))
            result.Ok(BundleFormat.Signature, $"Ed25519 signature over {BundleFormat.Manifest} holds (key {result.KeyFingerprint}"
                                              + (result.KeyFromBundle ? ", taken from the bundle itself: compare it with the key the bureau published)" : ", a trusted key)"));
        else
            result.Fail(BundleFormat.Signature, $"the signature does not hold over {BundleFormat.Manifest}: the manifest was changed after signing, or the signature was");
    }

    private static HashSet<string>? CheckFiles(Dictionary<string, byte[]> files, JsonNode? manifest, VerifyResult result)
    {
        if (manifest?["files"] is not JsonArray list)
        {
            result.Fail(BundleFormat.Manifest, "has no list of files");
            return null;
        }
        var listed = new HashSet<string>(StringComparer.Ordinal);
        var ordered = new List<string>();
        foreach (var item in list)
        {
            var path = item?["path"]?.GetValue<string>();
            var sha = item?["sha256"]?.GetValue<string>();
            var size = item?["bytes"]?.GetValue<long>();
            if (path is null || sha is null || size is null)
            {
                result.Fail(BundleFormat.Manifest, "a file entry lacks path, sha256 or bytes");
                continue;
            }
            if (!listed.Add(path) || BundleFormat.Unlisted.Contains(path))
            {
                result.Fail(BundleFormat.Manifest, $"lists {path} twice or lists a file it may not");
                continue;
            }
            ordered.Add(path);
            if (!files.TryGetValue(path, out var bytes))
            {
                result.Fail(path, "listed in the manifest but missing from the bundle");
                continue;
            }
            var actual = BundleFormat.Sha256(bytes);
            if (!string.Equals(actual, sha, StringComparison.Ordinal))
                result.Fail(path, $"SHA-256 is {actual}, the manifest says {sha}: the file was changed");
            else if (bytes.Length != size)
                result.Fail(path, $"{bytes.Length} bytes, the manifest says {size}");
        }
        var good = listed.Count(p => files.TryGetValue(p, out var b) && result.Checks.All(c => c.Subject != p));
        result.Ok("files", $"{good} of {listed.Count} listed files match their SHA-256");
        foreach (var extra in files.Keys.Where(p => !listed.Contains(p) && !BundleFormat.Unlisted.Contains(p)).Order(StringComparer.Ordinal))
            result.Fail(extra, "in the bundle but not in the manifest");
        return listed;
    }

    private static void CheckSums(Dictionary<string, byte[]> files, HashSet<string> listed, byte[] manifestBytes, VerifyResult result)
    {
        if (!files.TryGetValue(BundleFormat.Sums, out var sums))
        {
            result.Fail(BundleFormat.Sums, "missing");
            return;
        }
        var lines = Encoding.UTF8.GetString(sums).Split('\n');
        var expected = new List<string>();
        foreach (var line in lines.Where(l => l.Length > 0))
        {
            if (line.Length < 67 || line[64..66] != "  ")
            {
                result.Fail(BundleFormat.Sums, $"line '{line}' is not in sha256sum format");
                return;
            }
            var path = line[66..];
            var bytes = path == BundleFormat.Manifest ? manifestBytes : files.GetValueOrDefault(path);
            if (bytes is null || (!listed.Contains(path) && path != BundleFormat.Manifest))
            {
                result.Fail(BundleFormat.Sums, $"names {path}, which the manifest does not list");
                return;
            }
            expected.Add(path);
            if (BundleFormat.Sha256(bytes) != line[..64])
            {
                result.Fail(BundleFormat.Sums, $"its sum for {path} is not that file's SHA-256");
                return;
            }
        }
        if (!expected.Contains(BundleFormat.Manifest) || expected.Count != listed.Count + 1)
            result.Fail(BundleFormat.Sums, "does not list every file of the manifest and the manifest itself");
        else if (!BundleFormat.SumsFile(expected.Select(p => (p, p == BundleFormat.Manifest ? manifestBytes : files[p]))).AsSpan().SequenceEqual(sums))
            result.Fail(BundleFormat.Sums, "agrees with the files but is not in the exact format the fleet writes");
        else result.Ok(BundleFormat.Sums, "agrees with the manifest (sha256sum -c checks the same)");
    }

    private static void CheckProofs(Dictionary<string, byte[]> files, VerifyOptions options, VerifyResult result)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(files[BundleFormat.Proofs]);
        }
        catch (JsonException e)
        {
            result.Fail(BundleFormat.Proofs, $"not valid JSON ({e.Message})");
            return;
        }
        if (root?["format"]?.GetValue<string>() is not ProofsFormat.Format || root["proofs"] is not JsonArray proofs)
        {
            result.Fail(BundleFormat.Proofs, $"not in format {ProofsFormat.Format}");
            return;
        }
        int recomputed = 0, bound = 0, failed = 0;
        var messages = new HashSet<string>(StringComparer.Ordinal);
        foreach (var proof in proofs)
        {
            var file = proof?["file"]?.GetValue<string>();
            var where = $"{BundleFormat.Proofs}: proof of {file ?? "?"}";
            if (file is null || !files.TryGetValue(file, out var bytes))
            {
                result.Fail(where, "names a file that is not in the bundle");
                failed++;
                continue;
            }
            if (proof!["sha256"]?.GetValue<string>() != BundleFormat.Sha256(bytes))
            {
                result.Fail(where, "is not bound to this file: its sha256 differs from the file's");
                failed++;
                continue;
            }
            messages.Add(file);
            bound++;
            var scope = proof["scope"]?.GetValue<string>();
            var algorithm = proof["algorithm"]?.GetValue<string>();
            var value = Bytes(proof["value"]?.GetValue<string>());
            if (value is null)
            {
                result.Fail(where, "has no proof value (hex or base64)");
                failed++;
                continue;
            }
            var signed = ProofsFormat.SignedBytes(scope, bytes, value);
            if (signed is null) continue;
            if (signed.Length == 0)
            {
                result.Fail(where, $"does not end in the MAC its scope {scope} says: the message is not what the device sent");
                failed++;
                continue;
            }
            bool? holds = null;
            if (algorithm == ProofsFormat.HmacSha256 && proof["device"]?.GetValue<string>() is { } device
                && options.DeviceKeys?.TryGetValue(device, out var deviceKey) == true)
                holds = CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(deviceKey, signed), value);
            else if (algorithm == Ed25519Keys.Algorithm && Ed25519Keys.ParsePublicKey(proof["public_key"]?.GetValue<string>() ?? "") is { } publicKey)
                holds = Ed25519Keys.Verify(publicKey, signed, value);
            if (holds == false)
            {
                result.Fail(where, $"the device's {algorithm} over the raw message does not hold: the message is not what the device sent");
                failed++;
            }
            else if (holds == true) recomputed++;
        }
        if (failed == 0)
            result.Ok(BundleFormat.Proofs, $"{bound} device proof(s) bound to {messages.Count} raw message file(s); {recomputed} recomputed offline"
                                           + (bound > recomputed ? $", {bound - recomputed} need the device key to recompute (--device-key DEV=HEX); the fleet checked them at ingest" : ""));
    }

    private static byte[]? Bytes(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        try
        {
            return text.Length % 2 == 0 && text.All(Uri.IsHexDigit) ? Convert.FromHexString(text) : Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
