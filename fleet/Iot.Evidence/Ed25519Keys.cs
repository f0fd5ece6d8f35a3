using System.Security.Cryptography;
using NSec.Cryptography;

namespace Iot.Evidence;

/// <summary>The evidence key's Ed25519 operations (libsodium through NSec): raw 32-byte private seeds and public keys,
/// 64-byte signatures, and the fingerprint by which a bureau publishes a key.</summary>
public static class Ed25519Keys
{
    public const string Algorithm = "ed25519";
    public const int PublicKeyBytes = 32;
    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;

    /// <summary>A new key pair: the private seed (keep it secret) and its public key.</summary>
    public static (byte[] Private, byte[] Public) Generate()
    {
        using var key = Key.Create(Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        return (key.Export(KeyBlobFormat.RawPrivateKey), key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    public static byte[] PublicKeyOf(byte[] privateSeed)
    {
        using var key = Key.Import(Ed25519, privateSeed, KeyBlobFormat.RawPrivateKey);
        return key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    public static byte[] Sign(byte[] privateSeed, ReadOnlySpan<byte> data)
    {
        using var key = Key.Import(Ed25519, privateSeed, KeyBlobFormat.RawPrivateKey);
        return Ed25519.Sign(key, data);
    }

    /// <summary>True when <paramref name="signature"/> is the key's signature of <paramref name="data"/>; false for a
    /// malformed key or signature too.</summary>
    public static bool Verify(byte[] publicKey, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        PublicKey.TryImport(Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var key) && key is not null
        && signature.Length == Ed25519.SignatureSize && Ed25519.Verify(key, data, signature);

    /// <summary>SHA-256 of the raw public key, lower-case hex: what the bureau publishes and the monthly report prints.</summary>
    public static string Fingerprint(byte[] publicKey) => Convert.ToHexStringLower(SHA256.HashData(publicKey));

    /// <summary>A public key written as base64 or hex (64 digits).</summary>
    public static byte[]? ParsePublicKey(string text)
    {
        text = text.Trim();
        try
        {
            var bytes = text.Length == PublicKeyBytes * 2 && text.All(Uri.IsHexDigit) ? Convert.FromHexString(text) : Convert.FromBase64String(text);
            return bytes.Length == PublicKeyBytes ? bytes : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
