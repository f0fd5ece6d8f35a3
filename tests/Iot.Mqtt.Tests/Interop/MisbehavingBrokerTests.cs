using System.Net;
using System.Net.Sockets;
using Iot.Mqtt.Internal.Formatter;
using Iot.Mqtt.Internal.Packets;
using Iot.Mqtt.Tests.Support;
using Xunit;

namespace Iot.Mqtt.Tests.Interop;

/// <summary>The client against a scripted fake broker that says things Mosquitto never would.</summary>
public sealed class MisbehavingBrokerTests
{
    [Theory]
    [InlineData(MqttProtocolVersion.V311, (byte)5, MqttReasonCode.NotAuthorized)]
    [InlineData(MqttProtocolVersion.V311, (byte)4, MqttReasonCode.BadUserNameOrPassword)]
    [InlineData(MqttProtocolVersion.V500, (byte)0x86, MqttReasonCode.BadUserNameOrPassword)]
    [InlineData(MqttProtocolVersion.V500, (byte)0x8A, MqttReasonCode.Banned)]
    public async Task Refused_connect_throws_with_the_reason_code(MqttProtocolVersion version, byte code, MqttReasonCode expected)
    {
        await using var broker = new ScriptedBroker(version, new ConnAckPacket { ReasonCode = code });
        await using var client = new MqttClient(MqttTest.Options(broker.Port, version, "NS-0001"));
        var e = await Assert.ThrowsAsync<MqttException>(() => client.ConnectAsync());
        Assert.Equal(expected, e.ReasonCode);
        Assert.False(client.IsConnected);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Malformed_packet_from_the_broker_ends_the_connection_with_a_protocol_error(MqttProtocolVersion version)
    {
        // A remaining length with a fifth continuation byte, right after CONNACK.
        await using var broker = new ScriptedBroker(version, new ConnAckPacket(), [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]);
        var options = MqttTest.Options(broker.Port, version, "NS-0001");
        options.AutoReconnect = false;
        await using var client = new MqttClient(options);
        var disconnected = new TaskCompletionSource<MqttDisconnectedEventArgs>();
        client.Disconnected += (_, e) => disconnected.TrySetResult(e);

        await client.ConnectAsync();
        var e = await disconnected.Task.WaitAsync(MqttTest.Timeout);

        Assert.IsType<MqttProtocolException>(e.Exception);
        if (version == MqttProtocolVersion.V500)
        {
            // 5.0 tells the broker why: DISCONNECT with 0x81 malformed packet.
            var disconnect = await broker.ReceivedAsync<DisconnectPacket>();
            Assert.Equal(MqttReasonCode.MalformedPacket, disconnect.ReasonCode);
        }
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task A_256_MB_packet_header_is_refused_without_allocating_its_body(MqttProtocolVersion version)
    {
        // A PUBLISH announcing 268,435,455 bytes, right after CONNACK; its body never comes.
        await using var broker = new ScriptedBroker(version, new ConnAckPacket(), [0x30, 0xFF, 0xFF, 0xFF, 0x7F]);
        var options = MqttTest.Options(broker.Port, version, "NS-0001");
        options.AutoReconnect = false;
        await using var client = new MqttClient(options);
        var disconnected = new TaskCompletionSource<MqttDisconnectedEventArgs>();
        client.Disconnected += (_, e) => disconnected.TrySetResult(e);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);

        await client.ConnectAsync();
        var e = await disconnected.Task.WaitAsync(MqttTest.Timeout);

        Assert.Equal(MqttReasonCode.PacketTooLarge, Assert.IsType<MqttProtocolException>(e.Exception).ReasonCode);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - allocated < 16 << 20, "the client allocated as if it would read the packet");
        if (version == MqttProtocolVersion.V500)
        {
            // We told the broker our limit in CONNECT, and say why we hang up: DISCONNECT 0x95 packet too large.
            Assert.Equal((uint)MqttClientOptions.DefaultMaximumPacketSize, (await broker.ReceivedAsync<ConnectPacket>()).Properties!.MaximumPacketSize);
            Assert.Equal(MqttReasonCode.PacketTooLarge, (await broker.ReceivedAsync<DisconnectPacket>()).ReasonCode);
        }
    }

    [Fact]
    public async Task Broker_disconnect_reason_reaches_the_application()
    {
        var bye = MqttPacketEncoder.Encode(new DisconnectPacket { ReasonCode = MqttReasonCode.ServerShuttingDown }, MqttProtocolVersion.V500);
        await using var broker = new ScriptedBroker(MqttProtocolVersion.V500, new ConnAckPacket(), bye);
        var options = MqttTest.Options(broker.Port, MqttProtocolVersion.V500, "NS-0001");
        options.AutoReconnect = false;
        await using var client = new MqttClient(options);
        var disconnected = new TaskCompletionSource<MqttDisconnectedEventArgs>();
        client.Disconnected += (_, e) => disconnected.TrySetResult(e);

        await client.ConnectAsync();
        var e = await disconnected.Task.WaitAsync(MqttTest.Timeout);
        Assert.Equal(MqttReasonCode.ServerShuttingDown, e.ReasonCode);
        Assert.False(e.ByClient);
    }

    /// <summary>Accepts one client, answers its CONNECT with a given CONNACK and then raw bytes, and records
    /// the packets the client sends.</summary>
    private sealed class ScriptedBroker : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly List<MqttPacket> _received = [];
        private readonly Task _session;

        public ScriptedBroker(MqttProtocolVersion version, ConnAckPacket connAck, byte[]? then = null)
        {
            _listener.Start();
            _session = RunAsync(version, connAck, then ?? []);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public async Task<T> ReceivedAsync<T>() where T : MqttPacket
        {
            T? found = null;
            await MqttTest.WaitUntilAsync(() => { lock (_received) return (found = _received.OfType<T>().FirstOrDefault()) is not null; }, $"the client sent {typeof(T).Name}");
            return found!;
        }

        private async Task RunAsync(MqttProtocolVersion version, ConnAckPacket connAck, byte[] then)
        {
            using var socket = await _listener.AcceptSocketAsync();
            var decoder = new MqttPacketDecoder(version);
            var buffer = new byte[65536];
            var length = 0;
            var answered = false;
            try
            {
                while (true)
                {
                    var read = await socket.ReceiveAsync(buffer.AsMemory(length));
                    if (read == 0) return;
                    length += read;
                    while (decoder.TryDecode(buffer.AsSpan(0, length), out var packet, out var consumed, out _) == MqttDecodeStatus.Packet)
                    {
                        buffer.AsSpan(consumed, length - consumed).CopyTo(buffer);
                        length -= consumed;
                        lock (_received) _received.Add(packet!);
                        if (packet is ConnectPacket && !answered)
                        {
                            answered = true;
                            await socket.SendAsync(MqttPacketEncoder.Encode(connAck, version));
                            if (then.Length > 0) await socket.SendAsync(then);
                        }
                    }
                }
            }
            catch (SocketException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            await Task.WhenAny(_session, Task.Delay(2000));
        }
    }
}
