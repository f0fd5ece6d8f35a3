using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Iot.Testing;
using MQTTnet;
using MQTTnet.Formatter;
using Xunit;

namespace Iot.Stack.Tests;

/// <summary>`./iot up` watches itself: a server killed with SIGKILL comes back on its own, and the console says so.</summary>
public sealed class SupervisionTests
{
    [Fact]
    public void Killed_broker_is_restarted_and_the_console_says_so()
    {
        using var broker = MosquittoBroker.Start(new MosquittoOptions { Persistence = true });
        var console = new StringWriter();
        using (new Supervisor([broker], console))
        {
            KillMinus9(int.Parse(File.ReadAllText(broker.PidFile).Trim()));
            var said = WaitFor(console, "mosquitto is back", TimeSpan.FromSeconds(15));

            Assert.Contains("mosquitto died (exit code 137, SIGKILL); restarting in 1 s", said);
            Assert.True(broker.IsRunning);
            Assert.True(AnswersConnect(broker.Port), broker.RecentOutput);
        }
    }

    [Fact]
    public void A_broker_that_keeps_dying_is_retried_with_growing_delays()
    {
        using var broker = MosquittoBroker.Start();
        var console = new StringWriter();
        using (new Supervisor([broker], console))
        {
            KillMinus9(int.Parse(File.ReadAllText(broker.PidFile).Trim()));
            WaitFor(console, "restart 1,", TimeSpan.FromSeconds(15));
            KillMinus9(int.Parse(File.ReadAllText(broker.PidFile).Trim()));
            var said = WaitFor(console, "restart 2,", TimeSpan.FromSeconds(15));

            // The second death within a minute waits twice as long.
            Assert.Contains("restarting in 2 s", said);
            Assert.True(AnswersConnect(broker.Port), broker.RecentOutput);
        }
    }

    [Fact]
    public async Task Acknowledged_queued_messages_survive_a_broker_crash()
    {
        Assert.Equal(500, await DeliveredAfterCrash(new MosquittoOptions { Persistence = true }, 500));
    }

    [Fact]
    public async Task Saving_every_10_s_loses_acknowledged_messages_in_a_crash()
    {
        // Why the stack saves on changes: with Mosquitto's default, the gateways were told these were safe.
        Assert.True(await DeliveredAfterCrash(new MosquittoOptions { Persistence = true, AutosaveChanges = 0 }, 500) < 500);
    }

    /// <summary>Queues messages for an absent persistent subscriber (the fleet), kills the broker right after the last
    /// PUBACK, restarts it from its saved state, and counts what the subscriber still gets.</summary>
    private static async Task<int> DeliveredAfterCrash(MosquittoOptions options, int messages)
    {
        using var broker = MosquittoBroker.Start(options);
        var fleet = TestMqttClient.Options(broker.Host, broker.Port, "fleet-1", MqttProtocolVersion.V311).WithCleanSession(false).Build();
        await using (var first = await TestMqttClient.ConnectAsync(fleet)) await first.SubscribeAsync("iot/v1/+/telemetry");
        await using (var gateway = await TestMqttClient.ConnectAsync(broker.Host, broker.Port, "NS-0001"))
        {
            for (var i = 0; i < messages; i++) await gateway.PublishAsync("iot/v1/NS-0001/telemetry", $"{{\"seq\":{i}}}");
            broker.Kill();
        }
        broker.Restart();

        await using var again = await TestMqttClient.ConnectAsync(fleet);
        var received = 0;
        using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            while (received < messages) { await again.Messages.ReadAsync(quiet.Token); received++; }
        }
        catch (OperationCanceledException) { }
        return received;
    }

    private static void KillMinus9(int pid)
    {
        using var kill = Process.Start("kill", ["-9", pid.ToString()]);
        kill.WaitForExit();
    }

    private static string WaitFor(StringWriter console, string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            string said;
            lock (console) said = console.ToString();
            if (said.Contains(text, StringComparison.Ordinal)) return said;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the console never said \"{text}\"; it said:\n{said}");
            Thread.Sleep(50);
        }
    }

    /// <summary>MQTT 3.1.1 CONNECT answered by a CONNACK accepting it.</summary>
    private static bool AnswersConnect(int port)
    {
        using var tcp = new TcpClient();
        tcp.Connect(IPAddress.Loopback, port);
        var stream = tcp.GetStream();
        stream.Write([0x10, 13, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 2, 0, 10, 0, 1, (byte)'s']);
        var connack = new byte[4];
        stream.ReadExactly(connack);
        return connack.SequenceEqual(new byte[] { 0x20, 2, 0, 0 });
    }
}
