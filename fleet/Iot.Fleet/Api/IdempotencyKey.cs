using System.Text.RegularExpressions;

namespace Iot.Fleet.Api;

/// <summary>The `Idempotency-Key` header of a write the caller may send again without knowing whether the first one
/// arrived (the install page's offline queue, after an answer lost in a basement): the endpoint keeps the key with
/// what it made, and the same key from the same caller gets that again instead of a second one.</summary>
public static partial class IdempotencyKey
{
    public const string Header = "Idempotency-Key";

    /// <summary>The request's key, null when it sent none; a malformed key is a 400 (letters, digits, `-` `_` `.` `:`, 8 to 100).</summary>
    public static string? Of(HttpContext http)
    {
        if (!http.Request.Headers.TryGetValue(Header, out var values)) return null;
        var key = values.ToString();
        return WellFormed().IsMatch(key) ? key
            : throw new RefusalException($"{Header} is 8 to 100 letters, digits, '-', '_', '.' or ':' (a UUID will do)");
    }

    /// <summary>The refusal when a key comes back with another request than the one it was first sent with.</summary>
    public static RefusalException Reused(string key) =>
        RefusalException.Conflict($"{Header} {key} was sent before with another request; a new request needs a new key");

    [GeneratedRegex("^[A-Za-z0-9._:-]{8,100}$")]
    private static partial Regex WellFormed();
}
