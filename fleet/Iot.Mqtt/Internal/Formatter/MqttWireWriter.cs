using System.Buffers.Binary;
using System.Text;

namespace Iot.Mqtt.Internal.Formatter;

/// <summary>Writes MQTT data types into a span, or only counts their length when measuring, so that
/// one encoding routine yields both the exact packet size and the bytes.</summary>
internal ref struct MqttWireWriter
{
    // Strict UTF-8: a string with lone surrogates must fail rather than go out as '?'.
    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Span<byte> _buffer;
    private readonly bool _measure;

    private MqttWireWriter(Span<byte> buffer, bool measure)
    {
        _buffer = buffer;
        _measure = measure;
        Position = 0;
    }

    public static MqttWireWriter Measuring() => new(Span<byte>.Empty, measure: true);

    public static MqttWireWriter Into(Span<byte> buffer) => new(buffer, measure: false);

    public int Position { get; private set; }

    public bool IsMeasuring => _measure;

    public void Byte(byte value)
    {
        if (!_measure) _buffer[Position] = value;
        Position += 1;
    }

    public void UInt16(ushort value)
    {
        if (!_measure) BinaryPrimitives.WriteUInt16BigEndian(_buffer[Position..], value);
        Position += 2;
    }

    public void UInt32(uint value)
    {
        if (!_measure) BinaryPrimitives.WriteUInt32BigEndian(_buffer[Position..], value);
        Position += 4;
    }

    public void VariableByteInteger(uint value)
    {
        if (value > VariableByteIntegerCodec.Maximum)
            throw new ArgumentOutOfRangeException(nameof(value), value, "A variable byte integer holds at most 268,435,455.");
        if (_measure) Position += VariableByteIntegerCodec.Size(value);
        else Position += VariableByteIntegerCodec.Write(_buffer[Position..], value);
    }

    /// <summary>A UTF-8 string with its two-byte length prefix.</summary>
    public void String(string value)
    {
        int length;
        try
        {
            length = StrictUtf8.GetByteCount(value);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"'{value}' is not valid UTF-16 text, so it has no UTF-8 encoding.", nameof(value), e);
        }
        if (length > ushort.MaxValue)
            throw new ArgumentException($"A string of {length} UTF-8 bytes exceeds MQTT's limit of 65,535.", nameof(value));
        UInt16((ushort)length);
        if (!_measure) StrictUtf8.GetBytes(value, _buffer.Slice(Position, length));
        Position += length;
    }

    /// <summary>Binary data with its two-byte length prefix.</summary>
    public void Binary(ReadOnlySpan<byte> value)
    {
        if (value.Length > ushort.MaxValue)
            throw new ArgumentException($"Binary data of {value.Length} bytes exceeds MQTT's limit of 65,535.", nameof(value));
        UInt16((ushort)value.Length);
        Raw(value);
    }

    /// <summary>Bytes without a length prefix (a payload).</summary>
    public void Raw(ReadOnlySpan<byte> value)
    {
        if (!_measure) value.CopyTo(_buffer[Position..]);
        Position += value.Length;
    }
}

/// <summary>MQTT's variable byte integer: 7 bits per byte, high bit = "more bytes follow", at most 4 bytes.</summary>
internal static class VariableByteIntegerCodec
{
    public const uint Maximum = 268_435_455;

    public static int Size(uint value) => value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;

    public static int Write(Span<byte> destination, uint value)
    {
        var i = 0;
        do
        {
            var digit = (byte)(value % 128);
            value /= 128;
            if (value > 0) digit |= 0x80;
            destination[i++] = digit;
        }
        while (value > 0);
        return i;
    }

    /// <summary>False when the buffer ends before the integer does; throws when it is longer than 4 bytes.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out uint value, out int length)
    {
        value = 0;
        var multiplier = 1u;
        for (var i = 0; i < 4; i++)
        {
            if (i >= source.Length)
            {
                length = 0;
                return false;
            }
            var b = source[i];
            value += (uint)(b & 0x7F) * multiplier;
            if ((b & 0x80) == 0)
            {
                length = i + 1;
                return true;
            }
            multiplier *= 128;
        }
        throw new MqttProtocolException("A variable byte integer is longer than 4 bytes.");
    }
}
