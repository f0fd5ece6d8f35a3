using System.Security.Cryptography;
using System.Text.Json;

namespace Iot.Evidence;

/// <summary>
/// The audit log's hash chain: each entry's hash is SHA-256(previous hash || canonical entry bytes), the first entry's
/// previous hash being 32 zero bytes. The canonical bytes are a compact JSON array of the entry's columns in a fixed
/// order, with `before`/`after` as the exact stored text: [id, at (Unix ms), actor, actor_kind, action, subject,
/// before, after, note]. An edited column changes the entry's hash; a deleted entry breaks the link of the next one.
/// </summary>
public static class AuditChainHash
{
    /// <summary>The previous hash of the first entry.</summary>
    public static readonly string Genesis = new('0', 64);

    public static byte[] Canonical(long id, long at, string actor, string actorKind, string action, string subject, string? before, string? after,
        string? note)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            json.WriteStartArray();
            json.WriteNumberValue(id);
            json.WriteNumberValue(at);
            foreach (var s in new[] { actor, actorKind, action, subject, before, after, note })
                if (s is null) json.WriteNullValue();
                else json.WriteStringValue(s);
            json.WriteEndArray();
        }
        return buffer.ToArray();
    }

    /// <summary>The hash (lower-case hex) of an entry that follows <paramref name="previousHex"/>.</summary>
    public static string Link(string previousHex, ReadOnlySpan<byte> canonicalEntry)
    {
        var previous = Convert.FromHexString(previousHex);
        var input = new byte[previous.Length + canonicalEntry.Length];
        previous.CopyTo(input, 0);
        canonicalEntry.CopyTo(input.AsSpan(previous.Length));
        return Convert.ToHexStringLower(SHA256.HashData(input));
    }
}
