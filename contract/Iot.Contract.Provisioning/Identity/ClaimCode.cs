using System.Security.Cryptography;
using System.Text;

namespace Iot.Contract.Identity;

/// <summary>
/// The code an installer types or scans to claim a gateway: 9 random characters and a check character,
/// written XXXX-XXXX-XX. The alphabet has 31 characters (no 0, O, 1, I, U), a prime, so a weighted
/// sum modulo 31 with weights 1..10 catches every single wrong character and every swap of two
/// neighbours: a substitution changes the sum by w·d and a swap by (wᵢ−wᵢ₊₁)·d, never 0 mod 31.
/// </summary>
public static class ClaimCode
{
    public const string Alphabet = "23456789ABCDEFGHJKLMNPQRSTVWXYZ";
    public const int Length = 10;
    private const int Modulus = 31;

    /// <summary>A new random code, formatted.</summary>
    public static string Generate()
    {
        Span<char> code = stackalloc char[Length];
        for (var i = 0; i < Length - 1; i++) code[i] = Alphabet[RandomNumberGenerator.GetInt32(Modulus)];
        code[Length - 1] = CheckCharacter(code[..(Length - 1)]);
        return Format(code);
    }

    /// <summary>The check character for the first nine characters (already normalised).</summary>
    public static char CheckCharacter(ReadOnlySpan<char> body)
    {
        if (body.Length != Length - 1) throw new ArgumentException($"a claim code body has {Length - 1} characters", nameof(body));
        var sum = 0;
        for (var i = 0; i < body.Length; i++)
        {
            var value = Alphabet.IndexOf(body[i]);
            if (value < 0) throw new ArgumentException($"'{body[i]}' is not a claim code character", nameof(body));
            sum += (i + 1) * value;
        }
        // Solve sum + 10·c ≡ 0 (mod 31); 28 is the inverse of 10 mod 31 (280 = 9·31 + 1).
        var check = (Modulus - sum % Modulus) % Modulus * 28 % Modulus;
        return Alphabet[check];
    }

    /// <summary>
    /// Reads a typed or scanned code: case, spaces and dashes don't matter. Returns the formatted code
    /// (XXXX-XXXX-XX), or null with the reason in <paramref name="error"/>.
    /// </summary>
    public static string? Normalize(string? input, out string error)
    {
        var raw = new StringBuilder(Length);
        foreach (var c in input ?? "")
        {
            if (c is '-' or ' ' or '\t') continue;
            var upper = char.ToUpperInvariant(c);
            if (Alphabet.IndexOf(upper) < 0)
            {
                error = upper switch
                {
                    '0' or 'O' or '1' or 'I' or 'U' => $"claim codes never contain '{c}' (no 0, O, 1, I or U): check the label",
                    _ => $"'{c}' is not a claim code character",
                };
                return null;
            }
            raw.Append(upper);
        }
        if (raw.Length != Length)
        {
            error = $"a claim code has {Length} characters (XXXX-XXXX-XX), this one has {raw.Length}";
            return null;
        }
        var chars = raw.ToString();
        if (CheckCharacter(chars.AsSpan(0, Length - 1)) != chars[Length - 1])
        {
            error = "claim code is mistyped (its check character does not match): check the label";
            return null;
        }
        error = "";
        return Format(chars);
    }

    public static bool IsValid(string? input) => Normalize(input, out _) is not null;

    private static string Format(ReadOnlySpan<char> code) => $"{code[..4]}-{code[4..8]}-{code[8..]}";
}
