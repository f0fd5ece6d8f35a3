using System.Text.Json;
using System.Text;
using Iot.Contract;
using Iot.Firmware.Tests.Fakes;
using Iot.Gateway.Configuration;
using Iot.Gateway.Json;
using Iot.Gateway.Telemetry;

namespace Iot.Firmware.Tests;

public class ConfigurationTests
{
    private const string Fume = """{"v":1,"site":"fume","meter":{"slave":3,"baud":4800,"timeout_ms":300,"retries":1},"fan":{"on_a":0.8,"off_a":0.4,"a_per_count":0.02},"pur":{"on_a":0.3,"off_a":0.1},"status_s":120,"future":{"x":[1,2]}}""";

    private readonly FakeFlash _flash = new(2 * 4096, 4096);
    private readonly JsonWriter _event = new(new byte[512]);

    private ConfigManager Manager() => new(new ConfigStore(_flash), 2048);

    private bool Apply(ConfigManager m, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        return m.Apply(bytes, 0, bytes.Length, "NS-0001", 1795000020, _event);
    }

    private JsonElement Event() => JsonDocument.Parse(_event.Buffer.AsMemory(0, _event.Length)).RootElement;

    [Fact]
    public void Valid_config_is_parsed_applied_and_announced()
    {
        var m = Manager();
        Assert.True(Apply(m, Fume));

        var c = m.Active;
        Assert.Equal(SiteKind.Fume, c.Site);
        Assert.Equal((3, 4800, 300, 1), (c.MeterSlave, c.MeterBaud, c.MeterTimeoutMs, c.MeterRetries));
        Assert.Equal((0.8, 0.4, 0.02), (c.Fan.OnAmps, c.Fan.OffAmps, c.Fan.AmpsPerCount));
        Assert.Equal((0.3, 0.1), (c.Purifier.OnAmps, c.Purifier.OffAmps));
        Assert.Equal(120, c.StatusIntervalSeconds);
        Assert.Equal(Channel.Bit(Channel.Fume) | Channel.Bit(Channel.Fan) | Channel.Bit(Channel.Pur), c.ExpectedChannels);
        Assert.Equal("config_applied", Event().GetProperty("type").GetString());
        Assert.True(Event().GetProperty("data").GetProperty("ok").GetBoolean());
    }

    [Theory]
    [InlineData("""{"v":2,"site":"fume"}""", "unsupported version")]
    [InlineData("""{"site":"fume"}""", "missing v")]
    [InlineData("""{"v":1}""", "missing site")]
    [InlineData("""{"v":1,"site":"mine"}""", "unknown site kind")]
    [InlineData("""{"v":1,"site":"noise","meter":{"slave":0}}""", "meter.slave out of range")]
    [InlineData("""{"v":1,"site":"noise","meter":{"baud":9601}}""", "meter.baud not a standard rate")]
    [InlineData("""{"v":1,"site":"fume","fan":{"on_a":0.3,"off_a":0.3}}""", "fan.on_a must be above off_a")]
    [InlineData("""{"v":1,"site":"fume","status_s":1.5}""", "status_s out of range")]
    [InlineData("""{"v":1,"site":"fume",""", "malformed JSON")]
    [InlineData("[1]", "not a JSON object")]
    public void Bad_config_is_refused_with_a_reason_and_the_previous_one_stays(string json, string reason)
    {
        var m = Manager();
        Assert.True(Apply(m, Fume));

        Assert.False(Apply(m, json));

        Assert.False(Event().GetProperty("data").GetProperty("ok").GetBoolean());
        Assert.Equal(reason, Event().GetProperty("data").GetProperty("error").GetString());
        Assert.Equal(SiteKind.Fume, m.Active.Site);
        Assert.Equal(3, m.Active.MeterSlave);
        var rebooted = Manager();
        Assert.True(rebooted.LoadStored());
        Assert.Equal(3, rebooted.Active.MeterSlave);
    }

    [Fact]
    public void Accepted_config_survives_a_reboot_and_the_newest_copy_wins()
    {
        var m = Manager();
        Apply(m, Fume);
        Apply(m, """{"v":1,"site":"dust","meter":{"slave":9}}""");

        var rebooted = Manager();
        Assert.True(rebooted.LoadStored());
        Assert.Equal(SiteKind.Dust, rebooted.Active.Site);
        Assert.Equal(9, rebooted.Active.MeterSlave);
    }

    [Fact]
    public void Power_loss_while_saving_keeps_the_previous_config()
    {
        var m = Manager();
        Apply(m, Fume);
        long before = _flash.BytesWritten;
        var other = """{"v":1,"site":"noise"}""";
        Apply(Manager2(), other); // measure how many bytes a save writes
        int bytes = (int)(_flash.BytesWritten - before);

        for (int budget = 0; budget < bytes; budget++)
        {
            var flash = new FakeFlash(2 * 4096, 4096);
            var first = new ConfigManager(new ConfigStore(flash), 2048);
            var doc = Encoding.UTF8.GetBytes(Fume);
            first.Apply(doc, 0, doc.Length, "D-1", 0, _event);
            flash.WriteBudget = budget;
            var next = Encoding.UTF8.GetBytes(other);
            Assert.Throws<PowerLossException>(() => first.Apply(next, 0, next.Length, "D-1", 0, _event));
            flash.WriteBudget = null;

            var rebooted = new ConfigManager(new ConfigStore(flash), 2048);
            Assert.True(rebooted.LoadStored());
            Assert.Equal(SiteKind.Fume, rebooted.Active.Site);
        }

        ConfigManager Manager2()
        {
            var again = new ConfigManager(new ConfigStore(_flash), 2048);
            again.LoadStored();
            return again;
        }
    }

    [Fact]
    public void The_same_document_delivered_again_is_not_rewritten()
    {
        var m = Manager();
        Apply(m, Fume);
        int erases = _flash.Erases;
        Assert.True(Apply(m, Fume));
        Assert.Equal(erases, _flash.Erases);
    }

    [Fact]
    public void Saving_without_loading_first_still_keeps_the_newest_copy_current()
    {
        var doc1 = Encoding.UTF8.GetBytes(Fume);
        var doc2 = Encoding.UTF8.GetBytes("""{"v":1,"site":"dust"}""");
        var doc3 = Encoding.UTF8.GetBytes("""{"v":1,"site":"noise"}""");
        var store = new ConfigStore(_flash);
        store.Save(doc1, doc1.Length);
        store.Save(doc2, doc2.Length);

        new ConfigStore(_flash).Save(doc3, doc3.Length); // a fresh instance, no Load

        var buffer = new byte[4096];
        int length = new ConfigStore(_flash).Load(buffer);
        Assert.Equal("""{"v":1,"site":"noise"}""", Encoding.UTF8.GetString(buffer, 0, length));
    }
}
