using System.Security.Cryptography;
using System.Text;

namespace Iot.Evidence;

/// <summary>
/// The evidence bundle's layout (format 2). Every file of the bundle is listed in `manifest.json` with its SHA-256 and
/// size, except the three that describe the others: `manifest.json` itself, `manifest.sig` (the evidence key's Ed25519
/// signature over manifest.json's exact bytes, see <see cref="DetachedSignature"/>) and `manifest.sha256` (the same sums
/// in `sha256sum -c` format, manifest.json's included, for readers without this tool). Device proofs, when the fleet
/// has them, are in `proofs.json` (<see cref="ProofsFormat"/>), itself a listed file.
/// </summary>
public static class BundleFormat
{
    public const string Format = "iot-evidence/2";
    public const string Manifest = "manifest.json";
    public const string Signature = "manifest.sig";
    public const string Sums = "manifest.sha256";
    public const string Proofs = "proofs.json";

    /// <summary>The files that describe the others and so are not listed in the manifest.</summary>
    public static readonly IReadOnlySet<string> Unlisted = new HashSet<string>(StringComparer.Ordinal) { Manifest, Signature, Sums };

    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>`manifest.sha256`: hex digest, two spaces (text mode), path, one line per file in the given order.</summary>
    public static byte[] SumsFile(IEnumerable<(string Path, byte[] Bytes)> files) =>
        Encoding.UTF8.GetBytes(string.Concat(files.Select(f => $"{Sha256(f.Bytes)}  {f.Path}\n")));
}

/// <summary>
/// `proofs.json`: device proofs of the raw messages in the bundle, one entry per proof.
/// <code>
/// {"format": "iot-evidence-proofs/1", "proofs": [{"message_id": 42, "file": "messages/0000000042.json", "sha256": "…",
///   "device": "GW-1", "scope": "envelope", "algorithm": "hmac-sha256", "value": "hex or base64", "key_id": null,
///   "verified_at_ingest": true, "public_key": null}]}
/// </code>
/// `file` and `sha256` bind the proof to one raw message file of the bundle. `scope` "envelope" means `value` is
/// computed over that file's exact bytes, so a verifier holding the key can recompute it: HMAC-SHA256 with the device's
/// key (given to the verifier, never in the bundle), or Ed25519 with `public_key`. `scope` "envelope-prefix:N" is how a
/// gateway's telemetry carries its MAC (firmware/Gateway.Core/Telemetry/README.md): `value` is computed over the file's
/// first N bytes, and the rest of the file must be exactly `,"mac":"{value}"}`. Any other scope (a record inside the
/// envelope, say "record:17") is checked for its binding only.
/// </summary>
public static class ProofsFormat
{
    public const string Format = "iot-evidence-proofs/1";
    public const string EnvelopeScope = "envelope";
    public const string EnvelopePrefixScope = "envelope-prefix:";

    /// <summary>The bytes a proof of that scope is computed over, or null when the scope names none or the file does not
    /// have the shape the scope says (for a prefix: the MAC member closing the file).</summary>
    public static byte[]? SignedBytes(string? scope, byte[] file, byte[] value)
    {
        if (scope == EnvelopeScope) return file;
        if (scope is null || !scope.StartsWith(EnvelopePrefixScope, StringComparison.Ordinal)
            || !int.TryParse(scope.AsSpan(EnvelopePrefixScope.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int length)
            || length <= 0 || length > file.Length) return null;
        var tail = Encoding.UTF8.GetBytes($",\"mac\":\"{Convert.ToHexStringLower(value)}\"}}");
        return file.AsSpan(length).SequenceEqual(tail) ? file[..length] : Array.Empty<byte>();
    }
    public const string HmacSha256 = "hmac-sha256";
}
