using System.Globalization;

namespace Iot.Hj212;

/// <summary>Protocol generation, as carried in Flag bits 2-7.</summary>
public enum Hj212Version { V2005 = 0, V2017 = 1, V2025 = 2 }

/// <summary>The Flag field: bit0 reply wanted, bit1 split (PNUM/PNO), bits 2-7 version.
/// (The 2025 text swaps the letters A and D; the bits are the same.)</summary>
public readonly record struct Hj212Flag(int Value)
{
    public bool ReplyRequested => (Value & 1) != 0;
    public bool Split => (Value & 2) != 0;
    public int VersionBits => Value >> 2;
    public Hj212Version? Version => VersionBits is >= 0 and <= 2 ? (Hj212Version)VersionBits : null;

    public static Hj212Flag Of(Hj212Version version, bool replyRequested = false, bool split = false) =>
        new(((int)version << 2) | (split ? 2 : 0) | (replyRequested ? 1 : 0));

    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Command numbers (CN) the fleet and the forwarder speak.</summary>
public static class Hj212Commands
{
    public const string GetTime = "1011";
    public const string SetTime = "1012";
    public const string TimeCalibrationRequest = "1013";
    public const string RealTimeData = "2011";
    public const string DeviceState = "2021";
    public const string DayData = "2031";
    public const string MinuteData = "2051";
    public const string HourData = "2061";
    public const string RequestAnswer = "9011";
    public const string ExecutionResult = "9012";
    public const string Notice = "9013";
    public const string DataAck = "9014";

    /// <summary>Uploads whose CP carries measurements with a DataTime.</summary>
    public static bool IsData(string? cn) => cn is RealTimeData or MinuteData or HourData or DayData or DeviceState;
}

/// <summary>System codes (ST) seen in practice; any is accepted.</summary>
public static class Hj212Systems
{
    public const string AirQuality = "22";
    public const string AcousticEnvironment = "23";
    public const string AirSource = "31";
    public const string WaterSource = "32";
    public const string NoiseSource = "36";
    public const string ConstructionDust = "39";
    public const string System = "91";
}

/// <summary>QnRtn of a 9011 answer.</summary>
public enum Hj212QnRtn
{
    Ready = 1, Refused = 2, PasswordError = 3, MnError = 4, StError = 5, FlagError = 6, QnError = 7, CnError = 8, CrcError = 9,
    UnknownError = 100,
}

/// <summary>ExeRtn of a 9012 answer.</summary>
public enum Hj212ExeRtn { Success = 1, Failed = 2, Unsupported = 3, NoData = 100 }

/// <summary>Data flags of a factor (…-Flag).</summary>
public static class Hj212DataFlags
{
    public const string Normal = "N";
    public const string Stopped = "F";
    public const string Maintenance = "M";
    public const string Manual = "S";
    public const string Fault = "D";
    public const string Calibration = "C";
    public const string OverRange = "T";
    public const string CommsFault = "B";
}

/// <summary>One parsed data segment. Header fields are as sent (null when left out, as 2005 senders may).</summary>
public sealed record Hj212Packet
{
    public string? Qn { get; init; }
    public string? St { get; init; }
    public string? Cn { get; init; }
    public string? Pw { get; init; }
    public string? Mn { get; init; }
    public Hj212Flag? Flag { get; init; }
    public int? Pnum { get; init; }
    public int? Pno { get; init; }
    /// <summary>2025: <c>RF=1</c> on a frame sent again after a failed upload.</summary>
    public bool Resent { get; init; }
    /// <summary>Header fields the codec does not name, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> OtherFields { get; init; } = [];
    public Hj212Cp Cp { get; init; } = Hj212Cp.Empty;
    /// <summary>The data segment as checked by the CRC (plaintext when the CP came encrypted).</summary>
    public string Segment { get; init; } = "";

    public bool ReplyRequested => Flag?.ReplyRequested ?? false;
    public Hj212Version Version => Flag?.Version ?? Hj212Version.V2005;
}

/// <summary>The CP content (between <c>CP=&amp;&amp;</c> and <c>&amp;&amp;</c>): groups separated by ';', fields by ',',
/// each <c>key=value</c>. A key <c>factor-Field</c> (a34001-Avg, SB1-RS) belongs to that factor.</summary>
public sealed class Hj212Cp
{
    public static readonly Hj212Cp Empty = new("", []);

    public Hj212Cp(string text, IReadOnlyList<KeyValuePair<string, string>> fields)
    {
        Text = text;
        Fields = fields;
    }

    /// <summary>The CP content as sent (plaintext).</summary>
    public string Text { get; }
    /// <summary>Every key=value in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fields { get; }

    /// <summary>The first value of a key (e.g. DataTime, QnRtn, SystemTime), or null.</summary>
    public string? this[string key]
    {
        get
        {
            foreach (var f in Fields) if (f.Key == key) return f.Value;
            return null;
        }
    }

    public string? DataTime => this["DataTime"];

    /// <summary>Factors in the order first seen, each with its fields by suffix (Rtd, Avg, Min, Max, Flag, RS, Data …).</summary>
    public IReadOnlyList<Hj212Factor> Factors
    {
        get
        {
            var order = new List<Hj212Factor>();
            var byCode = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
            foreach (var (key, value) in Fields)
            {
                int dash = key.IndexOf('-');
                if (dash <= 0 || dash == key.Length - 1) continue;
                var code = key[..dash];
                if (!byCode.TryGetValue(code, out var values))
                {
                    values = new Dictionary<string, string>(StringComparer.Ordinal);
                    byCode[code] = values;
                    order.Add(new Hj212Factor(code, values));
                }
                values.TryAdd(key[(dash + 1)..], value);
            }
            return order;
        }
    }

    public static Hj212Cp Parse(string text)
    {
        var fields = new List<KeyValuePair<string, string>>();
        foreach (var group in text.Split(';'))
            foreach (var item in group.Split(','))
            {
                if (item.Length == 0) continue;
                int eq = item.IndexOf('=');
                if (eq <= 0) fields.Add(new(item, ""));
                else fields.Add(new(item[..eq], item[(eq + 1)..]));
            }
        return new Hj212Cp(text, fields);
    }
}

/// <summary>One factor (pollutant code or device like SB1) and its fields by suffix.</summary>
public sealed record Hj212Factor(string Code, IReadOnlyDictionary<string, string> Values)
{
    public string? Flag => Values.GetValueOrDefault("Flag");

    /// <summary>A numeric field (invariant culture), or null when absent or not a number.</summary>
    public double? Number(string suffix) =>
        Values.TryGetValue(suffix, out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v : null;
}

/// <summary>HJ 212 times: <c>yyyyMMddHHmmss</c> (DataTime, SystemTime, BeginTime) and <c>yyyyMMddHHmmssfff</c> (QN),
/// in the platform's local time (China: UTC+8 unless a profile says otherwise).</summary>
public static class Hj212Time
{
    public const string DataTimeFormat = "yyyyMMddHHmmss";
    public const string QnFormat = "yyyyMMddHHmmssfff";
    public static readonly TimeSpan ChinaOffset = TimeSpan.FromHours(8);

    public static bool TryParse(string? text, TimeSpan offset, out DateTimeOffset time)
    {
        time = default;
        if (text is null) return false;
        var format = text.Length == 17 ? QnFormat : DataTimeFormat;
        if (!DateTime.TryParseExact(text, format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)) return false;
        time = new DateTimeOffset(local, offset);
        return true;
    }

    public static string Format(DateTimeOffset time, TimeSpan offset) =>
        time.ToOffset(offset).ToString(DataTimeFormat, CultureInfo.InvariantCulture);

    public static string Qn(DateTimeOffset time, TimeSpan offset) =>
        time.ToOffset(offset).ToString(QnFormat, CultureInfo.InvariantCulture);
}
