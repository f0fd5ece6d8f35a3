using System.Net.Sockets;
using System.Text;

namespace Iot.Fleet.Tests.Fuzz;

/// <summary>
/// MQTT 3.1.1 written by hand, so a test can send what no client library would: frames with wrong lengths, flags
/// and types as well as well-formed PUBLISH packets carrying fuzzed payloads. Whatever the broker sends back is read
/// and dropped (PUBACKs, or nothing once it has closed the connection).
/// </summary>
public sealed class RawMqtt : IAsyncDisposable
{
    private readonly TcpClient _tcp = new() { NoDelay = true };
    private BufferedStream _out = null!;
    private Task _drain = Task.CompletedTask;
    private ushort _packetId;

    /// <summary>Packets written on this connection, CONNECT included.</summary>
    public int Packets { get; private set; }

    public static async Task<RawMqtt> Connect(string host, int port, string clientId)
    {
        var mqtt = new RawMqtt();
        await mqtt._tcp.ConnectAsync(host, port);
        var stream = mqtt._tcp.GetStream();
        mqtt._out = new BufferedStream(stream, 64 * 1024);
        var id = Encoding.UTF8.GetBytes(clientId);
        byte[] variable = [0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 0x02, 0, 60, (byte)(id.Length >> 8), (byte)id.Length, .. id];
        mqtt.Write(Frame(0x10, variable));
        await mqtt._out.FlushAsync();
        var connack = new byte[4];
        await stream.ReadExactlyAsync(connack);
        if (connack[0] != 0x20 || connack[3] != 0) throw new IOException($"broker refused the connection (CONNACK {Convert.ToHexString(connack)})");
        mqtt._drain = Task.Run(async () =>
        {
            var sink = new byte[8192];
            try
            {
                while (await stream.ReadAsync(sink) > 0) { }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException) { }
        });
        return mqtt;
    }

    /// <summary>True until the broker closed the connection.</summary>
    public bool Open => !_drain.IsCompleted;

    public void Publish(string topic, byte[] payload, int qos)
    {
        var t = Encoding.UTF8.GetBytes(topic);
        byte[] head = qos == 0 ? [(byte)(t.Length >> 8), (byte)t.Length, .. t] : [(byte)(t.Length >> 8), (byte)t.Length, .. t, (byte)(++_packetId >> 8), (byte)_packetId];
        if (_packetId == 0) _packetId = 1;
        Write(Frame((byte)(0x30 | (qos << 1)), [.. head, .. payload]));
    }

    /// <summary>Bytes as they are, counted as one packet.</summary>
    public void Write(byte[] frame)
    {
        _out.Write(frame);
        Packets++;
    }

    public Task Flush() => _out.FlushAsync();

    /// <summary>A packet with its fixed header: type and flags, then the remaining length as MQTT's variable-length integer.</summary>
    public static byte[] Frame(byte typeAndFlags, byte[] body) => [typeAndFlags, .. RemainingLength(body.Length), .. body];

    public static byte[] RemainingLength(int length)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(length % 128);
            length /= 128;
            if (length > 0) b |= 0x80;
            bytes.Add(b);
        } while (length > 0);
        return [.. bytes];
    }

    /// <summary>Frames a broker must refuse (it closes the connection): each on its own connection.</summary>
    public static IReadOnlyList<byte[]> MalformedFrames(string ownTopic)
    {
        var topic = Encoding.UTF8.GetBytes(ownTopic);
        byte[] topicField = [(byte)(topic.Length >> 8), (byte)topic.Length, .. topic];
        return
        [
            [0x30, 0xFF, 0xFF, 0xFF, 0x7F, .. topicField], // remaining length 268,435,455 (256 MB) with nothing behind it
            [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], // a fifth length byte
            [0x36, .. RemainingLength(topicField.Length + 4), .. topicField, 0, 1, 1, 2], // QoS 3
            [0x30, 0x02, 0xFF, 0xFF], // topic longer than the packet
            [0x00, 0x00], // reserved packet type 0
            [0xF0, 0x00], // reserved packet type 15
            [0x10, 0x00], // a second CONNECT
            Frame(0x30, [0, 8, .. "iot/v1/#"u8, 1]), // wildcard in a PUBLISH topic
            Frame(0x30, [0, 9, .. "iot/v1/\0x"u8, 1]), // NUL in a topic
            Frame(0x30, [0, 4, 0xC3, 0x28, 0xFF, 0xFE, 1]), // invalid UTF-8 topic
            Frame(0x82, [0, 1, 0, 3, .. "#/#"u8, 3]), // SUBSCRIBE with QoS 3 on an invalid filter
            Frame(0x30, [.. topicField, .. new byte[40 * 1024]]), // over the broker's maximum packet size
        ];
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _out.FlushAsync();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException) { }
        _tcp.Dispose();
        await _drain;
    }
}
