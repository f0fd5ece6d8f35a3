using System.Globalization;
using System.Text;

namespace Iot.Hj212;

/// <summary>Builds data segments and frames: the fleet's replies and commands, and uploads (monitors, the forwarder).</summary>
public static class Hj212Builder
{
    /// <summary>The data segment of a packet, fields in the standard's order (QN;ST;CN;PW;MN;Flag;PNUM;PNO;RF;CP=&amp;&amp;…&amp;&amp;).</summary>
    public static string Segment(Hj212Packet p)
    {
        var s = new StringBuilder();
        void Field(string key, string? value) { if (value is not null) s.Append(key).Append('=').Append(value).Append(';'); }
        Field("QN", p.Qn);
        Field("ST", p.St);
        Field("CN", p.Cn);
        Field("PW", p.Pw);
        Field("MN", p.Mn);
        Field("Flag", p.Flag?.ToString());
        Field("PNUM", p.Pnum?.ToString(CultureInfo.InvariantCulture));
        Field("PNO", p.Pno?.ToString(CultureInfo.InvariantCulture));
        if (p.Resent) Field("RF", "1");
        foreach (var (k, v) in p.OtherFields) Field(k, v);
        s.Append("CP=&&").Append(p.Cp.Text).Append("&&");
        return s.ToString();
    }

    /// <summary>The whole frame (<c>##</c>, length, segment, CRC, CR LF) of a packet.</summary>
    public static string Frame(Hj212Packet p) => Hj212Frame.Wrap(Segment(p));

    /// <summary>The frame in a platform's dialect: with its CP cipher (2025 §6.4), the CP goes encrypted while length and
    /// CRC stay the plaintext's.</summary>
    public static string Frame(Hj212Packet p, Hj212Dialect? dialect)
    {
        var plain = Segment(p);
        if (dialect?.CpCipher is not { } cipher || p.Cp.Text.Length == 0) return Hj212Frame.Wrap(plain);
        var wire = Segment(p with { Cp = new Hj212Cp(cipher.Encrypt(p.Cp.Text), []) });
        return Hj212Frame.Header + Hj212Frame.ByteCount(plain).ToString("D4", CultureInfo.InvariantCulture) + wire
            + Hj212Frame.CrcHex(Hj212Frame.Crc(plain)) + Hj212Frame.Trailer;
    }

    /// <summary>CP text from groups of key=value (fields joined by ',', groups by ';').</summary>
    public static Hj212Cp Cp(params IEnumerable<KeyValuePair<string, string>>[] groups) =>
        Hj212Cp.Parse(string.Join(";", groups.Select(g => string.Join(",", g.Select(kv => kv.Key + "=" + kv.Value)))));

    public static Hj212Cp Cp(string text) => Hj212Cp.Parse(text);

    static Hj212Flag? ReplyFlag(Hj212Packet request, Hj212Dialect d)
    {
        if (d.ReplyVersion is { } v) return Hj212Flag.Of(v);
        return request.Flag is null ? null : Hj212Flag.Of(request.Version);
    }

    static Hj212Packet Reply(Hj212Packet request, string cn, Hj212Cp cp, Hj212Dialect d) => new()
    {
        Qn = request.Qn, St = Hj212Systems.System, Cn = cn, Pw = d.ReplyWithPassword ? request.Pw : null, Mn = request.Mn,
        Flag = ReplyFlag(request, d), Cp = cp,
    };

    /// <summary>9014: the platform has the data of <paramref name="upload"/> (same QN; <c>CP=&amp;&amp;&amp;&amp;</c>).</summary>
    public static Hj212Packet DataAck(Hj212Packet upload, Hj212Dialect? dialect = null) =>
        Reply(upload, Hj212Commands.DataAck, Hj212Cp.Empty, dialect ?? Hj212Dialect.Default);

    /// <summary>9011: answer to a request (QnRtn).</summary>
    public static Hj212Packet RequestAnswer(Hj212Packet request, Hj212QnRtn rtn, Hj212Dialect? dialect = null) =>
        Reply(request, Hj212Commands.RequestAnswer, Cp("QnRtn=" + (int)rtn), dialect ?? Hj212Dialect.Default);

    /// <summary>9012: how a command ended (ExeRtn).</summary>
    public static Hj212Packet ExecutionResult(Hj212Packet request, Hj212ExeRtn rtn, Hj212Dialect? dialect = null) =>
        Reply(request, Hj212Commands.ExecutionResult, Cp("ExeRtn=" + (int)rtn), dialect ?? Hj212Dialect.Default);

    /// <summary>A platform command to a monitor, reply wanted.</summary>
    public static Hj212Packet Command(string cn, string mn, string? pw, string st, DateTimeOffset now, Hj212Cp cp, Hj212Dialect? dialect = null)
    {
        var d = dialect ?? Hj212Dialect.Default;
        return new Hj212Packet
        {
            Qn = Hj212Time.Qn(now, d.TimeOffset), St = st, Cn = cn, Pw = pw, Mn = mn,
            Flag = Hj212Flag.Of(d.CommandVersion, replyRequested: true), Cp = cp,
        };
    }

    /// <summary>History fetch (2051 minute, 2061 hour, 2031 day) for [begin, end].</summary>
    public static Hj212Packet HistoryRequest(string cn, string mn, string? pw, string st, DateTimeOffset begin, DateTimeOffset end, DateTimeOffset now, Hj212Dialect? dialect = null)
    {
        var d = dialect ?? Hj212Dialect.Default;
        return Command(cn, mn, pw, st, now,
            Cp($"BeginTime={Hj212Time.Format(begin, d.TimeOffset)},EndTime={Hj212Time.Format(end, d.TimeOffset)}"), d);
    }

    /// <summary>1011: ask the monitor for its clock (the monitor answers 1011 with SystemTime).</summary>
    public static Hj212Packet GetTime(string mn, string? pw, string st, DateTimeOffset now, Hj212Dialect? dialect = null) =>
        Command(Hj212Commands.GetTime, mn, pw, st, now, Hj212Cp.Empty, dialect);

    /// <summary>1012: set the monitor's clock.</summary>
    public static Hj212Packet SetTime(string mn, string? pw, string st, DateTimeOffset systemTime, DateTimeOffset now, Hj212Dialect? dialect = null)
    {
        var d = dialect ?? Hj212Dialect.Default;
        return Command(Hj212Commands.SetTime, mn, pw, st, now, Cp("SystemTime=" + Hj212Time.Format(systemTime, d.TimeOffset)), d);
    }

    /// <summary>A data upload (2011/2051/2061/2031): DataTime first, then one group per factor with its fields in order.</summary>
    public static Hj212Packet Upload(string cn, string st, string mn, string? pw, DateTimeOffset dataTime, DateTimeOffset qnTime,
        IEnumerable<(string Factor, IEnumerable<(string Suffix, string Value)> Fields)> factors,
        Hj212Version version = Hj212Version.V2017, bool replyRequested = true, bool resent = false, TimeSpan? offset = null)
    {
        var o = offset ?? Hj212Time.ChinaOffset;
        var groups = new List<string> { "DataTime=" + Hj212Time.Format(dataTime, o) };
        groups.AddRange(factors.Select(f => string.Join(",", f.Fields.Select(x => $"{f.Factor}-{x.Suffix}={x.Value}"))));
        return new Hj212Packet
        {
            Qn = Hj212Time.Qn(qnTime, o), St = st, Cn = cn, Pw = pw, Mn = mn,
            Flag = Hj212Flag.Of(version, replyRequested), Resent = resent && version >= Hj212Version.V2025,
            Cp = Hj212Cp.Parse(string.Join(";", groups)),
        };
    }

    /// <summary>Splits a packet whose segment is too long into PNUM parts (each a full frame, split bit set),
    /// cutting the CP only between ';' groups.</summary>
    public static IReadOnlyList<Hj212Packet> Split(Hj212Packet p, int maxSegment = Hj212Frame.StandardMaxSegment)
    {
        if (Hj212Frame.ByteCount(Segment(p)) <= maxSegment) return [p];
        var overhead = Hj212Frame.ByteCount(Segment(p with { Cp = Hj212Cp.Empty, Pnum = 9999, Pno = 9999, Flag = new Hj212Flag((p.Flag?.Value ?? 0) | 2) }));
        var budget = maxSegment - overhead;
        var parts = new List<string>();
        var current = new StringBuilder();
        foreach (var group in p.Cp.Text.Split(';'))
        {
            if (Hj212Frame.ByteCount(group) > budget) throw new ArgumentException($"a CP group of {group.Length} characters does not fit in {maxSegment}");
            if (current.Length > 0 && Hj212Frame.ByteCount(current.ToString()) + 1 + Hj212Frame.ByteCount(group) > budget)
            {
                parts.Add(current.ToString());
                current.Clear();
            }
            if (current.Length > 0) current.Append(';');
            current.Append(group);
        }
        parts.Add(current.ToString());
        var flag = new Hj212Flag((p.Flag?.Value ?? 0) | 2);
        return parts.Select((text, i) => p with { Flag = flag, Pnum = parts.Count, Pno = i + 1, Cp = Hj212Cp.Parse(text) }).ToList();
    }
}
