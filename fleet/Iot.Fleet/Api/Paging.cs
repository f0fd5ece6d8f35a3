using System.Buffers.Text;
using System.Text.Json;

namespace Iot.Fleet.Api;

/// <summary>What every list endpoint answers: one page of items, `next` (the cursor of the following page, null on
/// the last) and `total` (how many items match the filters, over all pages).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Next, long Total);

/// <summary>
/// `?limit=&amp;cursor=` of a list request. `limit` is 1…<see cref="MaxLimit"/> (default <see cref="DefaultLimit"/>);
/// `cursor` is the `next` of the previous page: opaque to callers, inside the sort key of the last item given
/// (base64url of a JSON array). Pages continue after that key (keyset), so rows that arrive meanwhile never shift
/// a page nor repeat an item. Anything else is a 400 that says why.
/// </summary>
public sealed class PageRequest
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    private readonly JsonElement[]? _after;

    public PageRequest(int limit = DefaultLimit, string? cursor = null)
    {
        if (limit is < 1 or > MaxLimit) throw new BadHttpRequestException($"limit must be 1…{MaxLimit}, not {limit}");
        Limit = limit;
        _after = cursor is { Length: > 0 } ? Decode(cursor) : null;
    }

    public int Limit { get; }

    /// <summary>True on the first page (no cursor).</summary>
    public bool First => _after is null;

    /// <summary>Minimal APIs bind the page from the query string.</summary>
    public static ValueTask<PageRequest?> BindAsync(HttpContext http)
    {
        var query = http.Request.Query;
        var limit = DefaultLimit;
        if (query["limit"] is { Count: > 0 } text && !int.TryParse(text[0], System.Globalization.CultureInfo.InvariantCulture, out limit))
            throw new BadHttpRequestException($"limit must be a whole number 1…{MaxLimit}, not '{text[0]}'");
        return ValueTask.FromResult<PageRequest?>(new PageRequest(limit, query["cursor"].FirstOrDefault()));
    }

    /// <summary>Part <paramref name="index"/> of the last key given, as a number.</summary>
    public long Long(int index) =>
        Part(index) is { ValueKind: JsonValueKind.Number } e && e.TryGetInt64(out var value) ? value : throw Invalid();

    /// <summary>Part <paramref name="index"/> of the last key given, as text.</summary>
    public string Text(int index) => Part(index) is { ValueKind: JsonValueKind.String } e ? e.GetString()! : throw Invalid();

    /// <summary>The cursor of a sort key: pass it as `next`.</summary>
    public static string Cursor(params object[] key) => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(key));

    /// <summary>The page of rows read with <c>LIMIT Limit + 1</c> after the cursor: the extra row only says that more follow.</summary>
    public Page<TView> Of<TRow, TView>(IReadOnlyList<TRow> rows, long total, Func<TRow, string> cursorOf, Func<TRow, TView> view)
    {
        var more = rows.Count > Limit;
        var page = more ? rows.Take(Limit).ToList() : rows;
        return new Page<TView>(page.Select(view).ToList(), more ? cursorOf(page[^1]) : null, total);
    }

    /// <summary>A page of a list held in memory, ordered by a unique number (newest first when <paramref name="descending"/>).</summary>
    public Page<T> Of<T>(IEnumerable<T> all, Func<T, long> key, bool descending = false)
    {
        var sorted = descending ? all.OrderByDescending(key).ToList() : all.OrderBy(key).ToList();
        var rest = First ? sorted : sorted.Where(i => descending ? key(i) < Long(0) : key(i) > Long(0)).ToList();
        return Of(rest.Take(Limit + 1).ToList(), sorted.Count, i => Cursor(key(i)), i => i);
    }

    /// <summary>A page of a list held in memory in its own order (sites by id, releases by version), each item named
    /// by a unique key that stays: the page continues after the item the cursor names.</summary>
    public Page<T> Of<T>(IReadOnlyList<T> ordered, Func<T, string> key)
    {
        var start = 0;
        if (!First)
        {
            var after = Text(0);
            start = ordered.Select(key).ToList().IndexOf(after) + 1;
            if (start == 0) throw Invalid();
        }
        return Of(ordered.Skip(start).Take(Limit + 1).ToList(), ordered.Count, i => Cursor(key(i)), i => i);
    }

    private JsonElement Part(int index) => _after is { } after && index < after.Length ? after[index] : throw Invalid();

    private static JsonElement[] Decode(string cursor)
    {
        try
        {
            return JsonSerializer.Deserialize<JsonElement[]>(Base64Url.DecodeFromChars(cursor)) ?? throw Invalid();
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw Invalid();
        }
    }

    private static BadHttpRequestException Invalid() =>
        new("cursor is not one this list gave out; pass the `next` of the previous page unchanged");
}
