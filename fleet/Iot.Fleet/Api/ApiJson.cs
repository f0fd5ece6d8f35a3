using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Iot.Fleet.Api;

/// <summary>
/// The API's one JSON casing: every property of every answer and body is named by its C# name in camelCase
/// (`ProfileVersion` → `profileVersion`, an anonymous `dry_run` → `dryRun`), whatever name a type pins with
/// [JsonPropertyName]. Some types are also a stored or signed form (the evidence bundle's files, the daily audit head,
/// a campaign's spec in the database, rule profile files, the notification payload, the audit log's snapshots); they keep
/// their snake_case names with attributes, and their own serializer options, which this renaming does not touch, so what
/// was stored, hashed or signed stays readable and verifiable. The OpenAPI document (/openapi/v1.json) shows the casing.
/// </summary>
public static class ApiJson
{
    /// <summary>Applies the casing to the HTTP JSON options (FleetSetup); also enum values as camelCase strings.</summary>
    public static void Configure(JsonSerializerOptions options)
    {
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.Converters.Add(new TextWithoutNul());
        options.TypeInfoResolver = (options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(CamelCaseProperties);
    }

    /// <summary>The stored shape: web defaults (camelCase unless a type pins a name) with enums as camelCase strings,
    /// which is what the audit log wrote before the API had one casing, and keeps writing.</summary>
    public static readonly JsonSerializerOptions StoredNames = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>`HealthTimeoutSeconds` → `healthTimeoutSeconds`, `dry_run` → `dryRun`.</summary>
    public static string CamelCase(string name)
    {
        var words = name.Split('_', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0) return name;
        return string.Concat(words.Select((w, i) => i == 0 ? JsonNamingPolicy.CamelCase.ConvertName(w) : char.ToUpperInvariant(w[0]) + w[1..]));
    }

    private static void CamelCaseProperties(JsonTypeInfo type)
    {
        if (type.Kind != JsonTypeInfoKind.Object) return;
        foreach (var property in type.Properties)
            property.Name = CamelCase(property.AttributeProvider is MemberInfo member ? member.Name : property.Name);
    }

    /// <summary>Strings in request bodies may not hold U+0000: PostgreSQL's text cannot store it, so a body with one is a
    /// 400 on either database rather than a 500 on one.</summary>
    private sealed class TextWithoutNul : JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var text = reader.GetString();
            return text is not null && text.Contains('\0') ? throw new JsonException("a string may not hold U+0000") : text;
        }

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }
}
