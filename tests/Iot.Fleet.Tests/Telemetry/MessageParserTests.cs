using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Iot.Fleet.Telemetry;
using Xunit;

namespace Iot.Fleet.Tests.Telemetry;

/// <summary>Wire protocol v1 validation: what is accepted exactly, and why everything else is rejected.</summary>
public sealed class MessageParserTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1795000800);

    private static TelemetryEnvelope Parse(string json, string device = "NS-0001") =>
        MessageParser.ParseTelemetry(device, Encoding.UTF8.GetBytes(json), Now);

    private static string Reject(string json, string device = "NS-0001") =>
        Assert.Throws<RejectedMessageException>(() => Parse(json, device)).Message;

    [Fact]
    public void The_spec_example_is_accepted_field_by_field()
    {
        var envelope = Parse("""
            {"v":1,"dev":"NS-0001","fw":"1.4.2","boot":17,
             "recs":[{"seq":1043,"t":1795000020,"dur":60,"q":0,"m":{"laeq":68.2,"lafmax":81.0}}]}
            """);
        Assert.Equal(("NS-0001", "1.4.2", 17L), (envelope.Device, envelope.Firmware, envelope.Boot));
        var record = Assert.Single(envelope.Records);
        Assert.Equal((1043u, 1795000020L, 60, 0), (record.Seq, record.Time, record.Duration, record.Quality));
        Assert.Equal(68.2, record.Measurements["laeq"]);
        Assert.Equal(81.0, record.Measurements["lafmax"]);
        Assert.True(record.IsEvidence);
    }

    [Fact]
    public void Duration_defaults_to_sixty_seconds_and_project_channels_pass()
    {
        var record = Parse("""{"v":1,"dev":"NS-0001","recs":[{"seq":4294967295,"t":1795000020,"q":32,"m":{"pm10":80,"voc_index":3}}]}""").Records[0];
        Assert.Equal((60, 4294967295u, 3.0), (record.Duration, record.Seq, record.Measurements["voc_index"]));
        Assert.True(record.IsEvidence); // 32 (backfill) is informational
    }

    [Theory]
    [InlineData("""{"v":1,"dev":"NS-0002","recs":[{"seq":1,"t":1795000020,"q":0,"m":{}}]}""", "does not match the topic")]
    [InlineData("""{"v":2,"dev":"NS-0001","recs":[{"seq":1,"t":1795000020,"q":0,"m":{}}]}""", "unknown version")]
    [InlineData("""{"dev":"NS-0001","recs":[]}""", "unknown version")]
    [InlineData("""{"v":1,"dev":"NS-0001","recs":[]}""", "0 records")]
    [InlineData("""{"v":1,"dev":"NS-0001","recs":[{"seq":-1,"t":1795000020,"q":0,"m":{}}]}""", "negative")]
    [InlineData("""{"v":1,"dev":"NS-0001","recs":[{"seq":4294967296,"t":1795000020,"q":0,"m":{}}]}""", "above 2^32-1")]
    [InlineData("""{"v":1,"dev":"NS-0001","recs":[{"seq":1.5,"t":1795000020,"q":0,"m":{}}]}""", "not a whole number")]
    [InlineData("""{"v":1,"dev":"NS-0001","recs":[{"seq":1,"t":100,"q":0,"m":{}}]}""", "clock not set")]
    [InlineData("""{"v":1,"dev":"NS-0001","recs":[{"seq":1,"t":1795009999,"q":0,"m":{}}]}""", "ahead of the fleet")]
    [InlineData("""{"v":1,"dev":"NS-0001","recs":[{"seq":1,"t":1795000020,"dur":0,"q":0,"m":{}}]}""", "dur 0")]
    [InlineData("""{"v":1,"dev":"NS-0001","recs":[{"seq":1,"t":1795000020,"dur":3601,"q":0,"m":{}}]}""", "dur 3601")]
    [InlineData("""{"v":1,"dev":"NS-0001","recs":[{"seq":1,"t":1795000020,"q":128,"m":{}}]}""", "bits")]
    [InlineData("""{"v":1,"dev":"NS-0001","recs":[{"seq":1,"t":1795000020,"m":{}}]}""", "q is missing")]
    [InlineData("""{"v":1,"dev":"NS-0001","recs":[{"seq":1,"t":1795000020,"q":0,"m":{"laeq":"loud"}}]}""", "not a number")]
    [InlineData("""{"v":1,"dev":"NS-0001","recs":[{"seq":1,"t":1795000020,"q":0,"m":{"laeq":250}}]}""", "outside 0..200")]
    [InlineData("""{"v":1,"dev":"NS-0001","recs":[{"seq":1,"t":1795000020,"q":0,"m":{"fan":1.2}}]}""", "outside 0..1")]
    [InlineData("""{"v":1,"dev":"NS-0001","recs":[{"seq":1,"t":1795000020,"q":0,"m":{"Bad Name":1}}]}""", "bad channel name")]
    [InlineData("""{"v":1,"dev":"NS-0001","recs":[{"seq":1,"t":1795000020,"q":0}]}""", "must be an object")]
    [InlineData("""[1,2]""", "not a JSON object")]
    [InlineData("""{"v":1,"dev":""", "bad JSON")]
    public void Each_breach_of_the_contract_is_rejected_with_its_reason(string json, string reason) =>
        Assert.Contains(reason, Reject(json));

    [Fact]
    public void More_than_two_hundred_records_or_sixteen_kilobytes_are_rejected()
    {
        var recs = string.Join(",", Enumerable.Range(0, 201).Select(i => $"{{\"seq\":{i},\"t\":1795000020,\"q\":0,\"m\":{{}}}}"));
        Assert.Contains("201 records", Reject($$"""{"v":1,"dev":"NS-0001","recs":[{{recs}}]}"""));
        var big = $$"""{"v":1,"dev":"NS-0001","pad":"{{new string('x', 16_400)}}","recs":[]}""";
        Assert.Contains("over 16384", Reject(big));
    }

    [Fact]
    public void A_bad_topic_device_id_is_rejected() =>
        Assert.Contains("not a valid device id", Reject("""{"v":1,"dev":"ns-1","recs":[]}""", "ns-1"));

    [Fact]
    public void Garbage_is_always_a_rejection_never_a_crash()
    {
        var valid = Encoding.UTF8.GetBytes("""{"v":1,"dev":"NS-0001","fw":"1.0","recs":[{"seq":7,"t":1795000020,"dur":60,"q":0,"m":{"laeq":68.2}}]}""");
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes => Accepts(bytes)).QuickCheckThrowOnFailure();
        // Mutations of a valid message: every byte flip and every truncation is either valid or a clean rejection.
        Prop.ForAll(Gen.Choose(0, valid.Length - 1).Zip(Gen.Choose(0, 255)).ToArbitrary(), pick =>
        {
            var copy = (byte[])valid.Clone();
            copy[pick.Item1] = (byte)pick.Item2;
            return Accepts(copy) && Accepts(valid.AsSpan(0, pick.Item1).ToArray());
        }).QuickCheckThrowOnFailure();
    }

    private static bool Accepts(byte[] payload)
    {
        try
        {
            MessageParser.ParseTelemetry("NS-0001", payload, Now);
            MessageParser.ParseEvent("NS-0001", payload, Now);
            MessageParser.ParseStatus("NS-0001", payload);
        }
        catch (RejectedMessageException) { }
        return true;
    }

    [Fact]
    public void Events_and_status_are_parsed()
    {
        var e = MessageParser.ParseEvent("NS-0001", """{"v":1,"dev":"NS-0001","t":1795000020,"type":"tamper","data":{"open":true}}"""u8, Now);
        Assert.Equal(("tamper", 1795000020L, """{"open":true}"""), (e.Type, e.Time, e.Data));
        var will = MessageParser.ParseStatus("NS-0001", """{"v":1,"dev":"NS-0001","online":false}"""u8);
        Assert.False(will.Online);
        var s = MessageParser.ParseStatus("NS-0001", """{"v":1,"dev":"NS-0001","online":true,"fw":"1.4.2","boot":17,"uptime":3600,"rssi":-61,"heap":54000,"clock":"synced","buffered":3}"""u8);
        Assert.Equal((true, "1.4.2", -61, 3L), (s.Online, s.Firmware, s.Rssi, s.Buffered));
    }

    [Theory]
    [InlineData("q")]
    [InlineData("seq")]
    [InlineData("dur")]
    [InlineData("time")]
    [InlineData("site")]
    public void Channels_may_not_take_the_names_the_fleet_writes_beside_them(string name)
    {
        var reason = Reject($$$"""{"v":1,"dev":"NS-0001","recs":[{"seq":1,"t":1795000020,"q":0,"m":{"laeq":60,"{{{name}}}":1}}]}""");
        Assert.Contains("reserved", reason);
    }

    [Theory]
    [InlineData("""{"v":1,"dev":"NS-0001","t":99999999999,"type":"tamper"}""", "outside")]
    [InlineData("""{"v":1,"dev":"NS-0001","t":-5,"type":"tamper"}""", "outside")]
    [InlineData("""{"v":1,"dev":"NS-0001","t":1795000020,"type":"Tamper!"}""", "lower-case")]
    [InlineData("""{"v":1,"dev":"NS-0001","t":1795000020,"type":"fleet.seq_conflict"}""", "lower-case")]
    [InlineData("""{"v":1,"dev":"NS-0001","t":1795000020,"type":"ota","data":"50%"}""", "not an object")]
    [InlineData("""{"v":1,"dev":"NS-0001","t":"1795000020","type":"ota"}""", "whole number")]
    public void Events_with_absurd_times_forged_types_or_wrong_kinds_are_rejected(string json, string expected)
    {
        var reason = Assert.Throws<RejectedMessageException>(() => MessageParser.ParseEvent("NS-0001", Encoding.UTF8.GetBytes(json), Now)).Message;
        Assert.Contains(expected, reason);
    }

    [Theory]
    [InlineData("""{"v":1,"dev":"NS-0001","online":true,"uptime":-1}""")]
    [InlineData("""{"v":1,"dev":"NS-0001","online":true,"rssi":99999999999}""")]
    [InlineData("""{"v":1,"dev":"NS-0001","online":true,"buffered":"3"}""")]
    [InlineData("""{"v":1,"dev":"NS-0001","online":"yes"}""")]
    public void Status_numbers_are_range_checked(string json) =>
        Assert.Throws<RejectedMessageException>(() => MessageParser.ParseStatus("NS-0001", Encoding.UTF8.GetBytes(json)));
}
