using System.Net;
using System.Net.Sockets;
using Iot.Stack;
using Xunit;

namespace Iot.Stack.Tests;

/// <summary>The launchers start real servers that answer, and leave nothing behind.</summary>
public sealed class ServerTests
{
    [Fact]
    public void Mosquitto_accepts_an_mqtt_connect_and_stops_cleanly()
    {
        int port;
        using (var broker = MosquittoBroker.Start())
        {
            port = broker.Port;
            using var tcp = new TcpClient();
            tcp.Connect(IPAddress.Loopback, port);
            var stream = tcp.GetStream();
            // MQTT 3.1.1 CONNECT, client id "t", clean session, keep-alive 10 s.
            stream.Write([0x10, 13, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 2, 0, 10, 0, 1, (byte)'t']);
            var connack = new byte[4];
            stream.ReadExactly(connack);
            Assert.Equal(new byte[] { 0x20, 2, 0, 0 }, connack);
        }
        Assert.False(LocalPort.Accepts(port));
    }

    [Fact]
    public async Task Influx_answers_ping_write_and_query()
    {
        using var influx = InfluxServer.Start();
        using var http = new HttpClient { BaseAddress = influx.Url };
        Assert.Equal(HttpStatusCode.NoContent, (await http.GetAsync("/ping")).StatusCode);
        (await http.PostAsync("/query", new FormUrlEncodedContent(new Dictionary<string, string> { ["q"] = "CREATE DATABASE t" }))).EnsureSuccessStatusCode();
        var write = await http.PostAsync("/write?db=t&precision=s", new StringContent("m,dev=A v=1.5 1795000020"));
        Assert.Equal(HttpStatusCode.NoContent, write.StatusCode);
        var body = await http.GetStringAsync("/query?db=t&q=" + Uri.EscapeDataString("SELECT v FROM m"));
        Assert.Contains("1.5", body);
    }

    [Fact]
    public void Killed_broker_stops_accepting()
    {
        var broker = MosquittoBroker.Start();
        broker.Kill();
        Assert.False(LocalPort.Accepts(broker.Port));
        broker.Dispose();
    }
}

/// <summary>The contract tools read from .iot/endpoints.json.</summary>
public sealed class EndpointsContractTests
{
    [Fact]
    public void The_hj212_receivers_port_is_written_as_hj212_port()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("iot-endpoints-").FullName, "endpoints.json");
        new Endpoints { MqttPort = 1883, Hj212Port = 8005 }.Write(path);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal(8005, (int)json["hj212_port"]!);
    }
}
