using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;

namespace Iot.Fleet.Tests.Fuzz;

/// <summary>One message a hostile gateway publishes: its topic under the gateway's own prefix and the payload.</summary>
public sealed record FuzzMessage(string Topic, byte[] Payload);

/// <summary>
/// Generators (FsCheck) for what a gateway holding its own credentials can publish on every topic a device may use
/// (telemetry, event, status, ack, prov/hello): valid templates with one field given a value of the wrong type, size
/// or time, fields removed, unknown fields, byte flips, truncations, invalid UTF-8, deep nesting and oversized bodies.
/// </summary>
public static class HostileDeviceMessages
{
    private const string Hole = "@@HOLE@@";

    /// <summary>Values that break a field: wrong kinds, extremes, absurd times, huge strings and deep nesting.</summary>
    public static readonly Gen<string> WrongValue = Gen.OneOf(
        Gen.Elements("null", "true", "false", "[]", "{}", "\"\"", "0", "-1", "1.5", "-0.0", "1e308", "-1e308", "1e999", "18446744073709551616",
            "-9223372036854775809", "4294967296", "99999999999", "-7", "\"1795000020\"", "\"NaN\"", "\"\\u0000\"", "\"\\ud800\"", "[1,2,3]",
            "{\"a\":{\"b\":{\"c\":1}}}", "\"fifty\"", "\"" + new string('x', 5000) + "\"", "\"GW-OTHER-1\"", "12345"),
        Gen.Choose(1, 200).Select(depth => new string('[', depth) + new string(']', depth)),
        Gen.Choose(int.MinValue, int.MaxValue).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ArbMap.Default.GeneratorFor<string>().Select(s => System.Text.Json.JsonSerializer.Serialize(s ?? "")));

    /// <summary>Each topic kind's valid template and the paths of its fields.</summary>
    private static (string Kind, Func<string, long, JsonObject> Template, string[] Paths)[] Kinds() =>
    [
        ("telemetry", (dev, t) => JsonNode.Parse($$$"""{"v":1,"dev":"{{{dev}}}","fw":"1.0.0","boot":3,"recs":[{"seq":7,"t":{{{t}}},"dur":60,"q":0,"m":{"fume":0.4,"fan":1,"pur":1}}]}""")!.AsObject(),
            ["v", "dev", "fw", "boot", "recs", "recs.0", "recs.0.seq", "recs.0.t", "recs.0.dur", "recs.0.q", "recs.0.m", "recs.0.m.fume", "recs.0.m.fan", "recs.0.m.pur",
             "recs.0.m.q", "recs.0.m.time", "recs.0.m.seq", "recs.0.m.dur", "recs.0.m.Bad Name", "mac"]),
        ("event", (dev, t) => JsonNode.Parse($$$"""{"v":1,"dev":"{{{dev}}}","t":{{{t}}},"type":"ota","data":{"id":"c1","phase":"download","percent":40}}""")!.AsObject(),
            ["v", "dev", "t", "type", "data", "data.id", "data.phase", "data.percent", "data.running", "data.version"]),
        ("status", (dev, _) => JsonNode.Parse($$$"""{"v":1,"dev":"{{{dev}}}","online":true,"fw":"1.0.0","boot":3,"uptime":60,"rssi":-60,"heap":50000,"clock":"synced","buffered":0}""")!.AsObject(),
            ["v", "dev", "online", "fw", "boot", "uptime", "rssi", "heap", "clock", "buffered"]),
        ("ack", (dev, _) => JsonNode.Parse($$$"""{"v":1,"dev":"{{{dev}}}","cmd":"ota","id":"c1","ok":true,"phase":"download"}""")!.AsObject(),
            ["v", "dev", "cmd", "id", "ok", "phase", "error"]),
        ("prov/hello", (dev, _) => JsonNode.Parse($$$"""{"v":1,"dev":"{{{dev}}}"}""")!.AsObject(), ["v", "dev"]),
    ];

    /// <summary>Messages for <paramref name="device"/>: <paramref name="count"/> of them, at minutes around <paramref name="now"/>.</summary>
    public static IReadOnlyList<FuzzMessage> Generate(string device, int count, DateTimeOffset now)
    {
        var kinds = Kinds();
        var t = now.ToUnixTimeSeconds() / 60 * 60 - 3600;
        var gen =
            from k in Gen.Choose(0, kinds.Length - 1)
            from path in Gen.Elements(kinds[k].Paths)
            from wrong in WrongValue
            from how in Gen.Frequency((6, Gen.Constant(0)), (1, Gen.Constant(1)), (1, Gen.Constant(2)), (1, Gen.Constant(3)), (1, Gen.Constant(4)), (1, Gen.Constant(5)))
            from position in Gen.Choose(0, 10_000)
            from b in Gen.Choose(0, 255)
            select Mutate(device, kinds[k].Kind, kinds[k].Template(device, t), path, wrong, how, position, (byte)b);
        return gen.Sample(50, count);
    }

    private static FuzzMessage Mutate(string device, string kind, JsonObject template, string path, string wrong, int how, int position, byte b)
    {
        var topic = $"iot/v1/{device}/{kind}";
        var json = how switch
        {
            1 => Remove(template, path),
            _ => Replace(template, path, wrong),
        };
        var bytes = Encoding.UTF8.GetBytes(json);
        switch (how)
        {
            case 2: // one byte changed
                bytes[position % bytes.Length] = b;
                break;
            case 3: // cut short
                bytes = bytes[..(position % bytes.Length)];
                break;
            case 4: // invalid UTF-8 inside a string
                var at = Math.Max(1, position % bytes.Length);
                bytes = [.. bytes[..at], 0xC3, 0x28, 0xFF, .. bytes[at..]];
                break;
            case 5: // over the protocol's 16 KiB, under the broker's packet limit
                bytes = Encoding.UTF8.GetBytes(json.Insert(1, $"\"pad\":\"{new string('p', 17_000 + position)}\","));
                break;
        }
        return new FuzzMessage(topic, bytes);
    }

    private static string Replace(JsonObject template, string path, string wrong)
    {
        var (parent, key) = Locate(template, path);
        switch (parent)
        {
            case JsonObject o:
                o[key] = Hole;
                break;
            case JsonArray a when int.TryParse(key, out var i) && i < a.Count:
                a[i] = Hole;
                break;
        }
        return template.ToJsonString().Replace($"\"{Hole}\"", wrong, StringComparison.Ordinal);
    }

    private static string Remove(JsonObject template, string path)
    {
        var (parent, key) = Locate(template, path);
        if (parent is JsonObject o) o.Remove(key);
        return template.ToJsonString();
    }

    private static (JsonNode Parent, string Key) Locate(JsonObject root, string path)
    {
        var parts = path.Split('.');
        JsonNode node = root;
        foreach (var part in parts[..^1])
            node = node is JsonArray a ? a[int.Parse(part, System.Globalization.CultureInfo.InvariantCulture)]! : node[part]!;
        return (node, parts[^1]);
    }
}
