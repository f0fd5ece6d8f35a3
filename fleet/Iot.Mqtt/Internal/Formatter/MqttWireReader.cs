using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace Iot.Mqtt.Internal.Formatter;

/// <summary>Reads MQTT data types from one packet's body; running past the end is a malformed packet,
/// never an IndexOutOfRangeException.</summary>
internal ref struct MqttWireReader
{
    private readonly ReadOnlySpan<byte> _buffer;

    public MqttWireReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        Position = 0;
    }

    public int Position { get; private set; }

    public readonly int Remaining => _buffer.Length - Position;

    public readonly bool AtEnd => Position == _buffer.Length;

    public byte Byte()
    {
        Need(1, "byte");
        return _buffer[Position++];
    }

    public ushort UInt16()
    {
        Need(2, "two-byte integer");
        var value = BinaryPrimitives.ReadUInt16BigEndian(_buffer[Position..]);
        Position += 2;
        return value;
    }

    public uint UInt32()
    {
        Need(4, "four-byte integer");
        var value = BinaryPrimitives.ReadUInt32BigEndian(_buffer[Position..]);
        Position += 4;
        return value;
    }

    public uint VariableByteInteger()
    {
        if (!VariableByteIntegerCodec.TryRead(_buffer[Position..], out var value, out var length))
            throw new MqttProtocolException("The packet ends inside a variable byte integer.");
        Position += length;
        return value;
    }

    public ReadOnlySpan<byte> Utf8Bytes()
    {
        var length = UInt16();
        var bytes = Raw(length);
        // MQTT strings must be well-formed UTF-8 without U+0000 (3.1.1 §1.5.3, 5.0 §1.5.4).
        if (!Utf8.IsValid(bytes) || bytes.IndexOf((byte)0) >= 0)
            throw new MqttProtocolException("A string is not well-formed UTF-8.");
        return bytes;
    }

    public string String() => Encoding.UTF8.GetString(Utf8Bytes());

    public byte[] Binary() => Raw(UInt16()).ToArray();

    public ReadOnlySpan<byte> Raw(int length)
    {
        Need(length, "field");
        var span = _buffer.Slice(Position, length);
        Position += length;
        return span;
    }

    public ReadOnlySpan<byte> Rest() => Raw(Remaining);

    private readonly void Need(int count, string what)
    {
        if (count > _buffer.Length - Position)
            throw new MqttProtocolException($"The packet ends inside a {what}.");
    }
}
