using System.Text;
using Iot.Gateway.Json;

namespace Iot.Firmware.Tests;

public class JsonReaderTests
{
    private static JsonReader Reader(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        return new JsonReader(bytes, 0, bytes.Length);
    }

    private static List<string> Tokens(string json)
    {
        var r = Reader(json);
        var list = new List<string>();
        while (true)
        {
            var t = r.Read();
            list.Add(t switch
            {
                JsonToken.PropertyName => "name:" + r.GetString(),
                JsonToken.String => "str:" + r.GetString(),
                JsonToken.Number => "num:" + r.NumberValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => t.ToString()
            });
            if (t is JsonToken.End or JsonToken.Error) return list;
        }
    }

    [Fact]
    public void Reads_a_config_document()
    {
        var tokens = Tokens("""{ "v": 1, "site": "noise", "limits": [55, 70.5, -1e2], "tz": "Asia/Shanghai", "on": true, "x": null, "s": "a\"\u00b5" }""");
        Assert.Equal(
        [
            "BeginObject", "name:v", "num:1", "name:site", "str:noise", "name:limits", "BeginArray", "num:55", "num:70.5", "num:-100", "EndArray",
            "name:tz", "str:Asia/Shanghai", "name:on", "True", "name:x", "Null", "name:s", "str:a\"µ", "EndObject", "End"
        ], tokens);
    }

    [Theory]
    [InlineData("{\"a\":1,}")]
    [InlineData("{\"a\" 1}")]
    [InlineData("{\"a\":}")]
    [InlineData("[1 2]")]
    [InlineData("[1,]")]
    [InlineData("{\"a\":01}")]
    [InlineData("{\"a\":1}}")]
    [InlineData("{\"a\":1} x")]
    [InlineData("{\"a\":tru}")]
    [InlineData("{\"a\":\"x}")]
    [InlineData("{1:2}")]
    [InlineData("")]
    [InlineData("{\"a\":[}")]
    public void Rejects_malformed_documents(string json)
    {
        Assert.Equal("Error", Tokens(json).Last());
    }

    [Fact]
    public void ValueEquals_compares_without_allocating_and_SkipValue_skips_nested_values()
    {
        var r = Reader("""{"skip":{"a":[1,{"b":2}]},"want":"yes"}""");
        Assert.Equal(JsonToken.BeginObject, r.Read());
        Assert.Equal(JsonToken.PropertyName, r.Read());
        Assert.True(r.ValueEquals("skip"));
        r.Read();
        Assert.True(r.SkipValue());
        Assert.Equal(JsonToken.PropertyName, r.Read());
        Assert.True(r.ValueEquals("want"));
        Assert.False(r.ValueEquals("wan"));
        Assert.Equal(JsonToken.String, r.Read());
        Assert.True(r.ValueEquals("yes"));
    }

    [Fact]
    public void Never_throws_on_random_input()
    {
        Prop.ForAll<byte[]>(bytes =>
        {
            bytes ??= [];
            var r = new JsonReader(bytes, 0, bytes.Length);
            for (int i = 0; i <= bytes.Length + 1; i++)
            {
                var t = r.Read();
                if (t is JsonToken.End or JsonToken.Error) return true;
                if (t is JsonToken.String or JsonToken.PropertyName) r.GetString();
            }
            return false;
        }).QuickCheckThrowOnFailure();
    }
}
