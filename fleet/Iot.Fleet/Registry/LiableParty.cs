namespace Iot.Fleet.Registry;

/// <summary>The liable party of a site (责任主体): the restaurant's operator or the construction project's builder, named by its
/// unified social credit code (统一社会信用代码), with whom the bureau speaks. A notice is addressed to it.</summary>
public sealed record LiableParty(string Code, string Name, string? Contact, string? Phone, string? Address);

/// <summary>
/// The unified social credit code of GB 32100-2015: 18 characters from 0–9 and 31 upper-case letters without I, O, S, V
/// and Z; the last is a check character over the first 17 (weights 3^i mod 31). A mistyped code is refused here rather than
/// found on a penalty decision.
/// </summary>
public static class UnifiedSocialCreditCode
{
    private const string Alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    private static readonly int[] Weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

    /// <summary>Null when <paramref name="code"/> is a well-formed code, else why not (in words an operator can act on).</summary>
    public static string? Problem(string? code)
    {
        if (string.IsNullOrWhiteSpace(code)) return "the unified social credit code (统一社会信用代码) is required";
        if (code.Length != 18) return $"a unified social credit code has 18 characters, not {code.Length}";
        var sum = 0;
        for (var i = 0; i < 17; i++)
        {
            var value = Alphabet.IndexOf(code[i]);
            if (value < 0) return $"character {i + 1} ('{code[i]}') cannot appear in a unified social credit code";
            sum += value * Weights[i];
        }
        var check = Alphabet[(31 - sum % 31) % 31];
        return code[17] == check ? null : $"the check character of {code} should be '{check}', not '{code[17]}': a character is mistyped";
    }
}

/// <summary>A contact's phone number as people write it: digits, spaces, + - ( ), 5 to 30 characters.</summary>
public static partial class PhoneNumber
{
    public static string? Problem(string phone) =>
        Pattern().IsMatch(phone) ? null : $"'{phone}' is not a phone number (digits, spaces, + - ( ); 5 to 30 characters)";

    [System.Text.RegularExpressions.GeneratedRegex(@"^[0-9+\-() ]{5,30}$")]
    private static partial System.Text.RegularExpressions.Regex Pattern();
}
