namespace Iot.Fleet.Api;

/// <summary>
/// Free text a person types into a register (a meter's make, a notice's recipient, a complaint): trimmed, at most so many
/// characters, without control characters (line breaks only in a multi-line field), or a 400 naming the field. One rule
/// for every register, so evidence never carries text a page or a printed notice would show differently.
/// </summary>
public static class FieldText
{
    /// <summary>The trimmed text, or null when it is missing or blank.</summary>
    public static string? Optional(string? value, string field, int max, bool multiline = false)
    {
        var text = value?.Trim();
        if (string.IsNullOrEmpty(text)) return null;
        if (text.Length > max) throw new RefusalException($"`{field}` has {text.Length} characters; at most {max}");
        if (text.Any(c => char.IsControl(c) && !(multiline && c is '\n' or '\r' or '\t')))
            throw new RefusalException($"`{field}` holds control characters");
        return text;
    }

    /// <summary>The trimmed text; a 400 when it is missing or blank.</summary>
    public static string Required(string? value, string field, int max, bool multiline = false) =>
        Optional(value, field, max, multiline) ?? throw new RefusalException($"`{field}` is required");
}
