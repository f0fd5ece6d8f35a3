using Iot.Fleet.Api;
using Xunit;

namespace Iot.Fleet.Tests.Api;

/// <summary>The one rule for text people type into registers.</summary>
public sealed class FieldTextTests
{
    [Theory]
    [InlineData(null, null)]
    [InlineData("   ", null)]
    [InlineData("  王师傅 ", "王师傅")]
    public void Optional_text_is_trimmed_and_blank_is_none(string? value, string? expected) =>
        Assert.Equal(expected, FieldText.Optional(value, "recipient", 10));

    [Theory]
    [InlineData("a\u0000b", false)]
    [InlineData("a\u001bb", false)]
    [InlineData("line one\nline two", false)]
    [InlineData("a\u0085b", true)]
    public void Control_characters_are_refused_naming_the_field_and_line_breaks_pass_only_where_a_field_has_lines(string value, bool multiline)
    {
        var refused = Assert.Throws<RefusalException>(() => FieldText.Optional(value, "note", 100, multiline));
        Assert.Contains("`note`", refused.Message);
        if (value.Contains('\n')) Assert.Equal(value, FieldText.Optional(value, "note", 100, multiline: true));
    }

    [Fact]
    public void Too_long_and_missing_text_are_refused_with_the_limit_and_the_field()
    {
        Assert.Equal("12345", FieldText.Required(" 12345 ", "serial", 5));
        var tooLong = Assert.Throws<RefusalException>(() => FieldText.Required("123456", "serial", 5));
        Assert.Equal("`serial` has 6 characters; at most 5", tooLong.Message);
        Assert.Equal("`serial` is required", Assert.Throws<RefusalException>(() => FieldText.Required(" ", "serial", 5)).Message);
    }
}
