using System.Text.Json.Nodes;
using Iot.Testing;
using MQTTnet;
using MQTTnet.Formatter;
using Xunit;

namespace Iot.Stack.Tests;

/// <summary>The whole stack as `./iot up` runs it: the fleet reports the broker's queue depth, and a killed fleet comes back.</summary>
public sealed class FleetSupervisionTests
{
    [Fact]
    public async Task Fleet_reports_queued_messages_and_is_restarted_after_sigkill()
    {
        using var broker = MosquittoBroker.Start(new MosquittoOptions { Persistence = true });
        using var influx = InfluxServer.Start();
        using var fleet = FleetServer.Start(new FleetOptions { MqttHost = broker.Host, MqttPort = broker.Port, InfluxUrl = influx.Url });

        // An absent persistent session with 300 messages waiting for it.
        var absent = TestMqttClient.Options(broker.Host, broker.Port, "absent", MqttProtocolVersion.V311).WithCleanSession(false).Build();
        await using (var first = await TestMqttClient.ConnectAsync(absent)) await first.SubscribeAsync("q/#");
        await using (var publisher = await TestMqttClient.ConnectAsync(broker.Host, broker.Port, "pub"))
        {
            await Task.WhenAll(Enumerable.Range(0, 300).Select(i => publisher.PublishAsync($"q/{i}", "x")));
        }
        using var http = fleet.Http();
        // Mosquitto publishes $SYS every 10 s.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        long pending = -1;
        while (DateTime.UtcNow < deadline && pending < 300)
        {
            var health = JsonNode.Parse(await (await http.GetAsync("/healthz")).Content.ReadAsStringAsync())!;
            pending = health["stages"]!.AsArray().FirstOrDefault(s => (string?)s!["stage"] == "broker_queue")?["pending"]?.GetValue<long>() ?? -1;
            if (pending < 300) await Task.Delay(500);
        }
        Assert.True(pending >= 300, $"/healthz broker_queue pending was {pending}");

        var console = new StringWriter();
        using (new Supervisor([broker, influx, fleet], console))
        {
            fleet.Kill();
            var said = await WaitForAsync(console, "fleet is back", TimeSpan.FromSeconds(60));
            Assert.Contains("fleet died (exit code 137, SIGKILL); restarting in 1 s", said);
            Assert.True((await http.GetAsync("/healthz")).IsSuccessStatusCode, fleet.RecentOutput);
        }
    }

    private static async Task<string> WaitForAsync(StringWriter console, string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            string said;
            lock (console) said = console.ToString();
            if (said.Contains(text, StringComparison.Ordinal)) return said;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the console never said \"{text}\"; it said:\n{said}");
            await Task.Delay(100);
        }
    }
}
