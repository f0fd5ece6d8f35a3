using System.Numerics;
using System.Security.Cryptography;
using Iot.Contract.Signing;

namespace Iot.Gateway.Release;

/// <summary>
/// Ed25519 signing (RFC 8032, section 5.1) for the release tool, which .NET lacks. Written from the RFC with
/// BigInteger and extended coordinates: independent of the device's verifier (Gateway.Core/Ota/Ed25519Verifier),
/// so the tests that sign here and verify there check one against the other. Not constant-time: it runs on the
/// release engineer's machine, signing a handful of manifests, never on a server that answers to the network.
/// </summary>
public static class Ed25519Signer
{
    public const int SeedBytes = 32;
    private static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;
    private static readonly BigInteger L = BigInteger.Pow(2, 252) + BigInteger.Parse("27742317777372353535851937790883648493");
    private static readonly BigInteger D = Mod(-121665 * Inverse(121666));
    private static readonly BigInteger SqrtMinusOne = BigInteger.ModPow(2, (P - 1) / 4, P);
    private static readonly Point Base = BasePoint();

    private readonly record struct Point(BigInteger X, BigInteger Y, BigInteger Z, BigInteger T);

    /// <summary>The 32-byte public key of a 32-byte secret seed.</summary>
    public static byte[] PublicKey(ReadOnlySpan<byte> seed)
    {
        var (a, _) = Expand(seed);
        return Encode(Multiply(a, Base));
    }

    /// <summary>The 64-byte signature (R, S) of message under seed.</summary>
    public static byte[] Sign(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> message)
    {
        var (a, prefix) = Expand(seed);
        byte[] publicKey = Encode(Multiply(a, Base));
        BigInteger r = Mod(FromLittleEndian(SHA512.HashData([.. prefix, .. message])), L);
        byte[] rEncoded = Encode(Multiply(r, Base));
        BigInteger k = Mod(FromLittleEndian(SHA512.HashData([.. rEncoded, .. publicKey, .. message])), L);
        BigInteger s = Mod(r + k * a, L);
        var signature = new byte[64];
        rEncoded.CopyTo(signature, 0);
        ToLittleEndian(s, 32).CopyTo(signature, 32);
        return signature;
    }

    private static (BigInteger A, byte[] Prefix) Expand(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedBytes) throw new ArgumentException("the seed must be 32 bytes", nameof(seed));
        byte[] h = SHA512.HashData(seed);
        h[0] &= 248;
        h[31] &= 127;
        h[31] |= 64;
        return (FromLittleEndian(h.AsSpan(0, 32)), h[32..]);
    }

    private static Point Add(Point p, Point q)
    {
        BigInteger a = Mod((p.Y - p.X) * (q.Y - q.X));
        BigInteger b = Mod((p.Y + p.X) * (q.Y + q.X));
        BigInteger c = Mod(2 * p.T * q.T * D);
        BigInteger d = Mod(2 * p.Z * q.Z);
        BigInteger e = b - a, f = d - c, g = d + c, h = b + a;
        return new Point(Mod(e * f), Mod(g * h), Mod(f * g), Mod(e * h));
    }

    private static Point Multiply(BigInteger scalar, Point p)
    {
        var q = new Point(0, 1, 1, 0);
        while (scalar > 0)
        {
            if (!scalar.IsEven) q = Add(q, p);
            p = Add(p, p);
            scalar >>= 1;
        }
        return q;
    }

    private static byte[] Encode(Point p)
    {
        BigInteger zInverse = Inverse(p.Z);
        BigInteger x = Mod(p.X * zInverse), y = Mod(p.Y * zInverse);
        byte[] bytes = ToLittleEndian(y, 32);
        if (!x.IsEven) bytes[31] |= 0x80;
        return bytes;
    }

    private static Point BasePoint()
    {
        BigInteger y = Mod(4 * Inverse(5));
        BigInteger xx = Mod((y * y - 1) * Inverse(D * y * y + 1));
        BigInteger x = BigInteger.ModPow(xx, (P + 3) / 8, P);
        if (Mod(x * x - xx) != 0) x = Mod(x * SqrtMinusOne);
        if (!x.IsEven) x = P - x;
        return new Point(x, y, 1, Mod(x * y));
    }

    private static BigInteger Mod(BigInteger x) => Mod(x, P);

    private static BigInteger Mod(BigInteger x, BigInteger m)
    {
        BigInteger r = BigInteger.Remainder(x, m);
        return r.Sign < 0 ? r + m : r;
    }

    private static BigInteger Inverse(BigInteger x) => BigInteger.ModPow(Mod(x), P - 2, P);

    private static BigInteger FromLittleEndian(ReadOnlySpan<byte> bytes) => new(bytes, isUnsigned: true, isBigEndian: false);

    private static byte[] ToLittleEndian(BigInteger value, int length)
    {
        var bytes = new byte[length];
        value.TryWriteBytes(bytes, out _, isUnsigned: true, isBigEndian: false);
        return bytes;
    }
}
