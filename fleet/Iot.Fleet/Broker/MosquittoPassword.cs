using System.Security.Cryptography;
using System.Text;

namespace Iot.Fleet.Broker;

/// <summary>
/// Mosquitto 2.0's password file hash, <c>$7$iterations$salt$hash</c>: PBKDF2-HMAC-SHA512 over the UTF-8
/// password with a 12-byte random salt, 64-byte result, both in standard base64 with padding
/// (as <c>mosquitto_passwd</c> writes it; see Mosquitto's <c>password_mosq.c</c>).
/// </summary>
public static class MosquittoPassword
{
    /// <summary>Iterations per hash. The broker pays them on every CONNECT; device passwords are 256 random
    /// bits, so the count only matters for human-chosen bootstrap passwords.</summary>
    public const int Iterations = 1000;

    private const int SaltBytes = 12;
    private const int HashBytes = 64;

    /// <summary>A fresh hash of <paramref name="password"/> with a random salt.</summary>
    public static string Hash(string password, int iterations = Iterations) =>
        Format(iterations, RandomNumberGenerator.GetBytes(SaltBytes), password);

    /// <summary>True when <paramref name="hash"/> (a <c>$7$</c> hash) is of <paramref name="password"/>.</summary>
    public static bool Verify(string password, string hash)
    {
        var parts = hash.Split('$');
        if (parts is not ["", "7", var iterations, var salt, var expected] || !int.TryParse(iterations, out var count)) return false;
        var actual = Format(count, Convert.FromBase64String(salt), password).Split('$')[4];
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(actual), Encoding.ASCII.GetBytes(expected));
    }

    /// <summary>A strong random password: 32 bytes, base64url without padding (43 characters).</summary>
    public static string Generate() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Format(int iterations, byte[] salt, string password)
    {
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA512, HashBytes);
        return $"$7${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }
}
