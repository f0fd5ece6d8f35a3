using System.Globalization;
using System.Text;

namespace Iot.Hj212;

/// <summary>The frame around a data segment: <c>##</c> + 4-digit length + segment + 4-hex CRC + CR LF.
/// The one place the frame's constants and CRC live.</summary>
public static class Hj212Frame
{
    public const string Header = "##";
    public const string Trailer = "\r\n";
    public const int LengthDigits = 4;
    public const int CrcDigits = 4;
    /// <summary>The standard's limit (2017 and 2025); real devices send longer, so parsing allows up to <see cref="MaxSegment"/>.</summary>
    public const int StandardMaxSegment = 1024;
    /// <summary>The most four length digits can say.</summary>
    public const int MaxSegment = 9999;
    /// <summary>Bytes around the segment: header, length, CRC, trailer.</summary>
    public const int Overhead = 2 + LengthDigits + CrcDigits + 2;

    static readonly Encoding Text = new UTF8Encoding(false, false);

    /// <summary>HJ 212's CRC: reg=0xFFFF; per byte reg=(reg>>8)^b, then 8 shifts with 0xA001.
    /// Not CRC-16/MODBUS (which XORs the byte into the low half instead).</summary>
    public static ushort Crc(ReadOnlySpan<byte> segment)
    {
        int reg = 0xFFFF;
        foreach (var b in segment)
        {
            reg = (reg >> 8) ^ b;
            for (int i = 0; i < 8; i++)
            {
                bool carry = (reg & 1) != 0;
                reg >>= 1;
                if (carry) reg ^= 0xA001;
            }
        }
        return (ushort)reg;
    }

    public static ushort Crc(string segment) => Crc(Text.GetBytes(segment));

    /// <summary>Four upper-case hex digits, high digit first.</summary>
    public static string CrcHex(ushort crc) => crc.ToString("X4", CultureInfo.InvariantCulture);

    /// <summary>The whole frame text around a segment (segment at most <see cref="MaxSegment"/> bytes).</summary>
    public static string Wrap(string segment)
    {
        var bytes = Text.GetBytes(segment);
        if (bytes.Length > MaxSegment)
            throw new ArgumentException($"segment of {bytes.Length} bytes: more than {MaxSegment}; split it (PNUM/PNO)", nameof(segment));
        return Header + bytes.Length.ToString("D4", CultureInfo.InvariantCulture) + segment + CrcHex(Crc(bytes)) + Trailer;
    }

    public static byte[] WrapBytes(string segment) => Text.GetBytes(Wrap(segment));

    internal static string Decode(ReadOnlySpan<byte> bytes) => Text.GetString(bytes);
    internal static byte[] Encode(string text) => Text.GetBytes(text);
    public static int ByteCount(string text) => Text.GetByteCount(text);
}
