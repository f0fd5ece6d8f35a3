using System.Text.Json.Nodes;

namespace Iot.Testing;

/// <summary>Reading the fleet's paged lists (`{"items":[…],"next":…,"total":N}`, fleet/Iot.Fleet/Api/Paging.cs) from tests.</summary>
public static class FleetPages
{
    /// <summary>Every item of the list at <paramref name="path"/>, following `next` page by page.</summary>
    public static async Task<JsonArray> GetAllAsync(this HttpClient http, string path, int pageSize = 1000)
    {
        var items = new JsonArray();
        string? cursor = null;
        do
        {
            var page = await http.GetPageAsync(With(path, $"limit={pageSize}" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")));
            foreach (var item in page["items"]!.AsArray().ToList()) items.Add(item!.DeepClone());
            cursor = (string?)page["next"];
        } while (cursor is not null);
        return items;
    }

    /// <summary>One page of the list at <paramref name="path"/> as it came.</summary>
    public static async Task<JsonObject> GetPageAsync(this HttpClient http, string path)
    {
        using var answer = await http.GetAsync(path);
        var body = await answer.Content.ReadAsStringAsync();
        if (!answer.IsSuccessStatusCode) throw new HttpRequestException($"GET {path}: {(int)answer.StatusCode} {body}", null, answer.StatusCode);
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>How many items the list at <paramref name="path"/> has over all its pages.</summary>
    public static async Task<long> CountAsync(this HttpClient http, string path) => (long)(await http.GetPageAsync(With(path, "limit=1")))["total"]!;

    private static string With(string path, string query) => path + (path.Contains('?') ? "&" : "?") + query;
}
