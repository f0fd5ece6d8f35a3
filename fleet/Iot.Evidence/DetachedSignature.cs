using System.Text.Json;
using System.Text.Json.Serialization;

namespace Iot.Evidence;

/// <summary>
/// A signature kept next to the file it signs (`manifest.json` → `manifest.sig`, `audit-head-2026-12-06.json` →
/// `audit-head-2026-12-06.json.sig`): JSON naming the algorithm, the signed file, the public key (base64) and its
/// fingerprint, and the Ed25519 signature (base64) over the signed file's exact bytes.
/// </summary>
public sealed record DetachedSignature(
    [property: JsonPropertyName("algorithm")] string Algorithm,
    [property: JsonPropertyName("signed_file")] string SignedFile,
    [property: JsonPropertyName("public_key")] string PublicKey,
    [property: JsonPropertyName("fingerprint")] string Fingerprint,
    [property: JsonPropertyName("signature")] string Signature)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static DetachedSignature Create(byte[] privateSeed, string signedFile, ReadOnlySpan<byte> bytes)
    {
        var publicKey = Ed25519Keys.PublicKeyOf(privateSeed);
        return new DetachedSignature(Ed25519Keys.Algorithm, signedFile, Convert.ToBase64String(publicKey), Ed25519Keys.Fingerprint(publicKey),
            Convert.ToBase64String(Ed25519Keys.Sign(privateSeed, bytes)));
    }

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>Parses a signature file; null with <paramref name="error"/> when it is not one.</summary>
    public static DetachedSignature? Parse(byte[] bytes, out string? error)
    {
        error = null;
        try
        {
            var s = JsonSerializer.Deserialize<DetachedSignature>(bytes);
            if (s is null || s.Algorithm is null || s.PublicKey is null || s.Signature is null || s.SignedFile is null)
                error = "not a signature file (algorithm, signed_file, public_key and signature are required)";
            else if (s.Algorithm != Ed25519Keys.Algorithm) error = $"algorithm '{s.Algorithm}' is not {Ed25519Keys.Algorithm}";
            else if (Ed25519Keys.ParsePublicKey(s.PublicKey) is not { } key) error = "public_key is not a 32-byte Ed25519 key in base64";
            else if (s.Fingerprint != Ed25519Keys.Fingerprint(key)) error = "its fingerprint is not its public key's";
            // Base64 leaves bits unused at the end that decoders ignore: only the one spelling the fleet writes counts.
            else if (!Canonical(s.Signature) || !Canonical(s.PublicKey)) error = "its base64 is not as written (unused bits changed): it was changed";
            // Written once, by the fleet, in one form: anything else in the file was changed after signing.
            else if (!s.ToBytes().AsSpan().SequenceEqual(bytes)) error = "is not byte for byte the signature file the fleet writes: it was changed";
            else return s;
        }
        catch (JsonException e)
        {
            error = $"not valid JSON ({e.Message})";
        }
        return null;
    }

    private static bool Canonical(string base64)
    {
        try
        {
            return Convert.ToBase64String(Convert.FromBase64String(base64)) == base64;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public byte[] PublicKeyBytes => Ed25519Keys.ParsePublicKey(PublicKey) ?? [];

    /// <summary>Whether the signature holds over <paramref name="bytes"/> under this file's own public key.</summary>
    public bool Holds(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return Ed25519Keys.Verify(PublicKeyBytes, bytes, Convert.FromBase64String(Signature));
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
