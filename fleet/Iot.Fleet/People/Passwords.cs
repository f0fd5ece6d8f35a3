using System.Security.Cryptography;
using System.Text;

namespace Iot.Fleet.People;

/// <summary>Password hashing: PBKDF2-HMAC-SHA256 with a per-person random salt. The stored hash names its
/// algorithm and iteration count (`pbkdf2-sha256$600000$…`), so the count can rise without a migration.</summary>
public static class Passwords
{
    /// <summary>OWASP's 2023 figure for PBKDF2-HMAC-SHA256; about 0.2 s per login on one core.</summary>
    public const int Iterations = 600_000;
    public const int MinimumLength = 10;

    private const string Algorithm = "pbkdf2-sha256";
    private const int SaltBytes = 16, HashBytes = 32;

    /// <summary>Why the password cannot be used, or null when it can.</summary>
    public static string? Problem(string? password) =>
        password is null || password.Length < MinimumLength ? $"a password needs at least {MinimumLength} characters" : null;

    public static (string Hash, string Salt) Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        return ($"{Algorithm}${Iterations}${Convert.ToBase64String(Derive(password, salt, Iterations))}", Convert.ToBase64String(salt));
    }

    /// <summary>True when <paramref name="password"/> matches; compared in constant time.</summary>
    public static bool Verify(string password, string storedHash, string storedSalt)
    {
        var parts = storedHash.Split('$');
        if (parts.Length != 3 || parts[0] != Algorithm || !int.TryParse(parts[1], out var iterations) || iterations < 1) return false;
        byte[] expected, salt;
        try
        {
            expected = Convert.FromBase64String(parts[2]);
            salt = Convert.FromBase64String(storedSalt);
        }
        catch (FormatException)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(Derive(password, salt, iterations), expected);
    }

    /// <summary>Costs what a real check costs, for logins that do not exist (no timing difference).</summary>
    public static void VerifyNothing(string password) => Derive(password, new byte[SaltBytes], Iterations);

    /// <summary>A random secret of <paramref name="bytes"/> bytes, URL-safe base64.</summary>
    public static string NewSecret(int bytes) => System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(bytes));

    private static byte[] Derive(string password, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
}
