using System.Globalization;

namespace Iot.Hj212;

/// <summary>Why a frame was not usable, with the QnRtn to answer it (when it can be answered at all).</summary>
public sealed record Hj212Problem(string Reason, Hj212QnRtn QnRtn);

/// <summary>A parsed frame: <see cref="Packet"/> is set when the header could be read (even if the frame failed a check,
/// so a 9011 can echo its QN and MN); <see cref="Problem"/> is null when the frame is good.</summary>
public sealed record Hj212ParseResult(Hj212Packet? Packet, Hj212Problem? Problem)
{
    public bool Ok => Problem is null && Packet is not null;
}

/// <summary>Lenient parsing of one frame (as the framer gives it: <c>##</c> … CR LF).</summary>
public static class Hj212Parser
{
    const string CpStart = "CP=&&";
    const string CpEnd = "&&";

    public static Hj212ParseResult Parse(string frame, Hj212Dialect? dialect = null) => Parse(Hj212Frame.Encode(frame), dialect);

    public static Hj212ParseResult Parse(ReadOnlySpan<byte> frame, Hj212Dialect? dialect = null)
    {
        dialect ??= Hj212Dialect.Default;
        if (frame.EndsWith("\r\n"u8)) frame = frame[..^2];
        else if (frame.EndsWith("\n"u8)) frame = frame[..^1];
        if (!frame.StartsWith("##"u8)) return Fail("no ## at the start", Hj212QnRtn.Refused);
        if (frame.Length < 2 + Hj212Frame.LengthDigits + Hj212Frame.CrcDigits)
            return Fail($"frame of {frame.Length} bytes is too short", Hj212QnRtn.Refused);
        var lengthText = frame.Slice(2, Hj212Frame.LengthDigits);
        int declared = 0;
        foreach (var b in lengthText)
        {
            if (b is < (byte)'0' or > (byte)'9') return Fail("length is not 4 digits", Hj212QnRtn.Refused);
            declared = declared * 10 + (b - '0');
        }
        var segmentBytes = frame[(2 + Hj212Frame.LengthDigits)..^Hj212Frame.CrcDigits];
        var crcText = Hj212Frame.Decode(frame[^Hj212Frame.CrcDigits..]);
        if (segmentBytes.Length > dialect.MaxSegment && dialect.CpCipher is null)
            return Fail($"segment of {segmentBytes.Length} bytes: more than {dialect.MaxSegment}", Hj212QnRtn.Refused);

        var segment = Hj212Frame.Decode(segmentBytes);
        var packet = ReadSegment(segment, out var cpOnWire);
        if (packet is null) return Fail("no data segment fields", Hj212QnRtn.Refused);

        // 2025 §6.4: length and CRC are computed on the plaintext.
        bool encrypted = cpOnWire is not null && dialect.CpCipher?.IsEncrypted(cpOnWire) == true;
        if (encrypted)
        {
            string plain;
            try { plain = dialect.CpCipher!.Decrypt(cpOnWire!); }
            catch (Exception e) { return Fail(packet, $"CP does not decrypt: {e.Message}", Hj212QnRtn.Refused); }
            segment = segment[..segment.IndexOf(CpStart, StringComparison.Ordinal)] + CpStart + plain + CpEnd;
            packet = ReadSegment(segment, out _)!;
        }
        int actual = Hj212Frame.ByteCount(segment);
        if (actual > dialect.MaxSegment)
            return Fail(packet, $"segment of {actual} bytes: more than {dialect.MaxSegment}", Hj212QnRtn.Refused);
        if (!ushort.TryParse(crcText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var crc))
            return Fail(packet, $"CRC '{crcText}' is not 4 hex digits", Hj212QnRtn.CrcError);
        var expected = Hj212Frame.Crc(Hj212Frame.Encode(segment));
        if (crc != expected)
        {
            var hint = cpOnWire is not null && cpOnWire.StartsWith('{') && dialect.CpCipher is null ? " (CP looks SM4-encrypted; no key configured)" : "";
            return Fail(packet, $"CRC {crcText} does not match the segment's {Hj212Frame.CrcHex(expected)}{hint}", Hj212QnRtn.CrcError);
        }
        if (declared != actual)
            return Fail(packet, $"length says {declared}, segment has {actual} bytes", Hj212QnRtn.Refused);

        var problem = Check(packet, dialect);
        return new Hj212ParseResult(packet with { Segment = segment }, problem);
    }

    static Hj212ParseResult Fail(string reason, Hj212QnRtn rtn) => new(null, new Hj212Problem(reason, rtn));
    static Hj212ParseResult Fail(Hj212Packet packet, string reason, Hj212QnRtn rtn) => new(packet, new Hj212Problem(reason, rtn));

    /// <summary>The header fields and CP of a segment (no checks). Null when it has no key=value at all.</summary>
    public static Hj212Packet? ReadSegment(string segment, out string? cpOnWire)
    {
        cpOnWire = null;
        string header = segment;
        int cpAt = segment.IndexOf(CpStart, StringComparison.Ordinal);
        if (cpAt >= 0)
        {
            header = segment[..cpAt];
            var rest = segment[(cpAt + CpStart.Length)..];
            cpOnWire = rest.EndsWith(CpEnd, StringComparison.Ordinal) ? rest[..^CpEnd.Length] : rest;
        }
        string? qn = null, st = null, cn = null, pw = null, mn = null;
        Hj212Flag? flag = null;
        int? pnum = null, pno = null;
        bool rf = false, any = cpAt >= 0;
        var others = new List<KeyValuePair<string, string>>();
        foreach (var field in header.Split(';'))
        {
            if (field.Length == 0) continue;
            int eq = field.IndexOf('=');
            if (eq <= 0) { others.Add(new(field, "")); continue; }
            any = true;
            var key = field[..eq];
            var value = field[(eq + 1)..];
            switch (key)
            {
                case "QN": qn = value; break;
                case "ST": st = value; break;
                case "CN": cn = value; break;
                case "PW": pw = value; break;
                case "MN": mn = value; break;
                case "Flag": flag = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var f) && f <= 255 ? new Hj212Flag(f) : new Hj212Flag(-1); break;
                case "PNUM": pnum = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1; break;
                case "PNO": pno = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : -1; break;
                case "RF": rf = value == "1"; break;
                default: others.Add(new(key, value)); break;
            }
        }
        if (!any) return null;
        return new Hj212Packet
        {
            Qn = qn, St = st, Cn = cn, Pw = pw, Mn = mn, Flag = flag, Pnum = pnum, Pno = pno, Resent = rf,
            OtherFields = others, Cp = cpOnWire is null ? Hj212Cp.Empty : Hj212Cp.Parse(cpOnWire), Segment = segment,
        };
    }

    static Hj212Problem? Check(Hj212Packet p, Hj212Dialect d)
    {
        if (p.Qn is null ? d.RequireQn : !(p.Qn.Length == 17 && p.Qn.All(char.IsAsciiDigit)))
            return new("QN missing or not 17 digits", Hj212QnRtn.QnError);
        if (p.St is null || p.St.Length is 0 or > 2 || !p.St.All(char.IsAsciiDigit)) return new("ST missing or not 1-2 digits", Hj212QnRtn.StError);
        if (p.Cn is null || p.Cn.Length != 4 || !p.Cn.All(char.IsAsciiDigit)) return new("CN missing or not 4 digits", Hj212QnRtn.CnError);
        if (p.Mn is null || p.Mn.Length < d.MinMnLength || p.Mn.Length > d.MaxMnLength || !p.Mn.All(char.IsAsciiLetterOrDigit))
            return new($"MN missing or not {d.MinMnLength}-{d.MaxMnLength} letters and digits", Hj212QnRtn.MnError);
        if (p.Pw is { Length: > 32 }) return new("PW longer than 32", Hj212QnRtn.PasswordError);
        if (p.Flag is null ? d.RequireFlag : p.Flag.Value.Value < 0) return new("Flag missing or not 0-255", Hj212QnRtn.FlagError);
        if (p.Flag is { Split: true } || p.Pnum is not null || p.Pno is not null)
        {
            if (p.Pnum is not (>= 1 and <= 9999) || p.Pno is not (>= 1 and <= 9999) || p.Pno > p.Pnum)
                return new("PNUM/PNO missing or out of range for a split packet", Hj212QnRtn.FlagError);
        }
        return null;
    }
}
