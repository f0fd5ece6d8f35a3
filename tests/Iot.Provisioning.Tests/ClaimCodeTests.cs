using System.Text.RegularExpressions;
using FsCheck.Fluent;
using FsCheck;
using Iot.Contract.Identity;

namespace Iot.Provisioning.Tests;

public sealed class ClaimCodeTests
{
    private static readonly Regex Shape = new("^[23456789ABCDEFGHJKLMNPQRSTVWXYZ]{4}-[23456789ABCDEFGHJKLMNPQRSTVWXYZ]{4}-[23456789ABCDEFGHJKLMNPQRSTVWXYZ]{2}$");

    /// <summary>Any nine characters of the alphabet, completed with their check character.</summary>
    private static Arbitrary<string> Codes() =>
        Gen.Elements(ClaimCode.Alphabet.ToCharArray()).ArrayOf(9)
            .Select(body => new string(body) + ClaimCode.CheckCharacter(body))
            .ToArbitrary();

    [Fact]
    public void Generated_codes_are_grouped_typable_and_valid()
    {
        var codes = Enumerable.Range(0, 2000).Select(_ => ClaimCode.Generate()).ToList();
        Assert.All(codes, c => Assert.Matches(Shape, c));
        Assert.All(codes, c => Assert.Equal(c, ClaimCode.Normalize(c, out _)));
        Assert.Equal(codes.Count, codes.Distinct().Count());
    }

    [Fact]
    public void Alphabet_has_no_ambiguous_characters_and_a_prime_size()
    {
        Assert.Equal(31, ClaimCode.Alphabet.Length);
        Assert.Equal(ClaimCode.Alphabet.Length, ClaimCode.Alphabet.Distinct().Count());
        foreach (var c in "0O1I") Assert.DoesNotContain(c, ClaimCode.Alphabet);
    }

    [Fact]
    public void Every_single_character_substitution_is_caught() =>
        Prop.ForAll(Codes(), code =>
        {
            for (var position = 0; position < code.Length; position++)
                foreach (var other in ClaimCode.Alphabet.Where(c => c != code[position]))
                {
                    var typo = code[..position] + other + code[(position + 1)..];
                    if (ClaimCode.IsValid(typo)) return false;
                }
            return true;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Every_adjacent_transposition_is_caught() =>
        Prop.ForAll(Codes(), code =>
        {
            for (var position = 0; position + 1 < code.Length; position++)
            {
                if (code[position] == code[position + 1]) continue;
                var swapped = code[..position] + code[position + 1] + code[position] + code[(position + 2)..];
                if (ClaimCode.IsValid(swapped)) return false;
            }
            return true;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Case_spaces_and_dashes_do_not_matter()
    {
        var code = ClaimCode.Generate();
        var raw = code.Replace("-", "");
        foreach (var typed in new[] { raw, raw.ToLowerInvariant(), $" {raw[..4].ToLowerInvariant()} {raw[4..8]} {raw[8..]} ", code.ToLowerInvariant() })
            Assert.Equal(code, ClaimCode.Normalize(typed, out _));
    }

    [Theory]
    [InlineData("ABCD-EFGH-J0", "never contain '0'")]
    [InlineData("ABCD-EFGH-JO", "never contain 'O'")]
    [InlineData("ABCD-EFGH-J1", "never contain '1'")]
    [InlineData("ABCD-EFGH-JI", "never contain 'I'")]
    [InlineData("ABCD-EFGH", "has 8")]
    [InlineData("ABCD-EFGH-J#", "'#' is not")]
    public void Bad_input_says_why(string input, string reason)
    {
        Assert.Null(ClaimCode.Normalize(input, out var error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void A_typo_is_reported_as_a_typo()
    {
        var code = ClaimCode.Generate();
        var typo = code[..^1] + ClaimCode.Alphabet.First(c => c != code[^1]);
        Assert.Null(ClaimCode.Normalize(typo, out var error));
        Assert.Contains("mistyped", error);
    }
}
