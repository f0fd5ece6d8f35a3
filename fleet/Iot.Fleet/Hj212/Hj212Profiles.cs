using System.Text.Json;
using Iot.Hj212;
using QualityBits = Iot.Contract.QualityBits;

namespace Iot.Fleet.Hj212;

/// <summary>Options of the HJ 212 receiver (section "Hj212").</summary>
public sealed class Hj212Options
{
    /// <summary>TCP port monitors connect to; 0 = no receiver.</summary>
    public int Port { get; set; }
    /// <summary>Address to listen on (loopback by default; a deployment opens it to the monitors' network).
    /// TLS is not offered here: put a TLS terminator in front (a seam, like the MQTT broker's listener).</summary>
    public string Address { get; set; } = "127.0.0.1";
    public int MaxConnections { get; set; } = 1000;
    /// <summary>Frames one connection may send per second, after a burst of <see cref="FrameBurst"/>.</summary>
    public double FramesPerSecond { get; set; } = 5;
    public int FrameBurst { get; set; } = 200;
    /// <summary>A connection silent this long is closed (monitors reconnect).</summary>
    public int IdleSeconds { get; set; } = 900;
    /// <summary>A connection that has not sent a frame with a registered MN and its PW this long after connecting is closed.</summary>
    public int LoginSeconds { get; set; } = 120;
    /// <summary>Longest frame kept (segments up to 9,999 bytes, as HJ 212's four length digits allow).</summary>
    public int MaxFrameBytes { get; set; } = Hj212Frame.MaxSegment + Hj212Frame.Overhead;
    /// <summary>A connection that sends this many bytes of garbage without one good frame is closed.</summary>
    public int MaxGarbageBytes { get; set; } = 256 * 1024;
    /// <summary>Rejected frames sampled per connection per minute (the rest are counted).</summary>
    public int RejectionsPerMinute { get; set; } = 20;
    /// <summary>Missing minutes up to this long are fetched from the monitor (2051 BeginTime/EndTime); 0 = never.</summary>
    public int MaxGapFetchHours { get; set; } = 24;
    /// <summary>On login the monitor's clock is read (1011) and set (1012) when off by more; 0 = never.</summary>
    public int MaxClockDriftSeconds { get; set; } = 60;
    /// <summary>Platform profiles by name: add or replace the shipped ones (Hj212/hj212-profiles.json).</summary>
    public Dictionary<string, Hj212Profile> Profiles { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>How one platform's monitors speak: which factor codes are which of our channels (and the unit scale),
/// which data flags mean which quality bits, which commands carry minute records. Data, not code.</summary>
public sealed class Hj212Profile
{
    public string? Name { get; set; }
    /// <summary>A profile this one extends: what is left out comes from it; Codes and Flags merge.</summary>
    public string? BasedOn { get; set; }
    /// <summary>Offset of DataTime (Beijing time: 8).</summary>
    public double? TimeOffsetHours { get; set; }
    /// <summary>Commands whose data become records: 2051 (minute), or 2011 where a monitor sends only real-time data, or 2061
    /// where it sends only hours (a one-hour record). Not by default: a monitor's hours repeat its minutes.</summary>
    public List<string>? RecordCommands { get; set; }
    /// <summary>Window of a 2011 record in seconds.</summary>
    public int? RealTimeSeconds { get; set; }
    /// <summary>Which field of a factor is the window's value, first present wins (Avg, Rtd, Data).</summary>
    public List<string>? Fields { get; set; }
    /// <summary>Factor code (or code-Field) → channel, with a scale (mg/m³ → µg/m³ is 1000) and optional fields, or for a device
    /// state (SB1 with field RS) the value of each state.</summary>
    public Dictionary<string, Hj212Code>? Codes { get; set; }
    /// <summary>Data flag → quality bits (N normal = 0).</summary>
    public Dictionary<string, int>? Flags { get; set; }
    /// <summary>Quality bits for a flag the profile does not name.</summary>
    public int? UnknownFlag { get; set; }
    /// <summary>"2017" or "2025": version bits of replies; null = as the frame answered.</summary>
    public string? ReplyVersion { get; set; }
    /// <summary>2025 §6.4 SM4 key of this platform's monitors that have none of their own (a monitor's key, registered with it,
    /// comes first: <see cref="Hj212Monitor.DialectIn"/>); 32 hex digits or 16 characters; null = CPs in clear.
    /// A secret: set it in configuration (Hj212__Profiles__{name}__Sm4Key), never in the shipped file.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? Sm4Key { get; set; }

    /// <summary>Whether CPs are SM4-encrypted (the key itself is never shown).</summary>
    public bool Encrypted => Sm4Key is { Length: > 0 };

    [System.Text.Json.Serialization.JsonIgnore]
    public TimeSpan Offset => TimeSpan.FromHours(TimeOffsetHours ?? 8);
    public int DurationOf(string cn) => cn == Hj212Commands.MinuteData ? 60 : cn == Hj212Commands.HourData ? 3600 : RealTimeSeconds ?? 60;

    [System.Text.Json.Serialization.JsonIgnore]
    public Hj212Dialect Dialect => Hj212Dialect.Default with
    {
        TimeOffset = Offset,
        ReplyVersion = ReplyVersion switch { "2017" => Hj212Version.V2017, "2025" => Hj212Version.V2025, _ => null },
        CpCipher = _cipher ??= Sm4Key is { Length: > 0 } key ? Hj212Sm4Cipher.FromText(key) : null,
    };

    private Hj212Sm4Cipher? _cipher;

    internal Hj212Profile Over(Hj212Profile? basis)
    {
        if (basis is null) return this;
        return new Hj212Profile
        {
            Name = Name ?? basis.Name,
            TimeOffsetHours = TimeOffsetHours ?? basis.TimeOffsetHours,
            RecordCommands = RecordCommands is { Count: > 0 } ? RecordCommands : basis.RecordCommands,
            RealTimeSeconds = RealTimeSeconds ?? basis.RealTimeSeconds,
            Fields = Fields is { Count: > 0 } ? Fields : basis.Fields,
            Codes = Merge(basis.Codes, Codes),
            Flags = Merge(basis.Flags, Flags),
            UnknownFlag = UnknownFlag ?? basis.UnknownFlag,
            ReplyVersion = ReplyVersion ?? basis.ReplyVersion,
            Sm4Key = Sm4Key ?? basis.Sm4Key,
        };
    }

    static Dictionary<string, T> Merge<T>(Dictionary<string, T>? basis, Dictionary<string, T>? over)
    {
        var merged = new Dictionary<string, T>(basis ?? [], StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in over ?? []) merged[k] = v;
        return merged;
    }
}

public sealed class Hj212Code
{
    public string Channel { get; set; } = "";
    public double Scale { get; set; } = 1;
    public List<string>? Fields { get; set; }
    /// <summary>For states (SBx-RS: 0 off, 1 running … as the platform defines them): the value each state stands for on our
    /// channel (fan or pur running share 0..1). A state not listed leaves the channel out: unknown is not "off".</summary>
    public Dictionary<string, double>? States { get; set; }

    /// <summary>The factor's field as a value on our channel, or null when absent, not a number or not a listed state.</summary>
    public double? ValueOf(Hj212Factor factor, string field) =>
        States is null ? factor.Number(field) * Scale
        : factor.Values.TryGetValue(field, out var state) && States.TryGetValue(state.Trim(), out var v) ? v : null;
}

/// <summary>A window's measurements and quality bits read from one data packet.</summary>
public sealed record MonitorReading(long Time, int Duration, int Quality, IReadOnlyDictionary<string, double> Measurements);

/// <summary>The platform profiles: the shipped ones, then those configured under Hj212:Profiles (same name replaces).</summary>
public sealed class Hj212Profiles
{
    private readonly Dictionary<string, Hj212Profile> _profiles;

    public Hj212Profiles(Microsoft.Extensions.Options.IOptions<Hj212Options> options)
    {
        using var shipped = typeof(Hj212Profiles).Assembly.GetManifestResourceStream("hj212-profiles.json")!;
        var raw = new Dictionary<string, Hj212Profile>(JsonSerializer.Deserialize<Dictionary<string, Hj212Profile>>(shipped)!, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, p) in options.Value.Profiles) raw[name] = p;
        _profiles = new(StringComparer.OrdinalIgnoreCase);
        foreach (var name in raw.Keys) _profiles[name] = Resolve(name, raw, 0);
        foreach (var (name, p) in _profiles)
            if ((p.RecordCommands ?? []).FirstOrDefault(cn => !RecordSources.Contains(cn)) is { } other)
                throw new InvalidOperationException($"HJ 212 profile {name}: RecordCommands {other}: records come from 2011, 2051 or 2061 " +
                    "(a day, 2031, is longer than a record's window of at most an hour)");
    }

    /// <summary>Commands whose windows fit a record (dur 1 to 3600 s): real-time, minute and hour data.</summary>
    private static readonly string[] RecordSources = [Hj212Commands.RealTimeData, Hj212Commands.MinuteData, Hj212Commands.HourData];

    private static Hj212Profile Resolve(string name, Dictionary<string, Hj212Profile> raw, int depth)
    {
        var p = raw[name];
        if (p.BasedOn is null) return p.Over(null);
        if (depth > 8 || !raw.ContainsKey(p.BasedOn)) throw new InvalidOperationException($"HJ 212 profile {name}: based on unknown or circular {p.BasedOn}");
        return p.Over(Resolve(p.BasedOn, raw, depth + 1));
    }

    public Hj212Profile? Find(string name) => _profiles.GetValueOrDefault(name);
    public IReadOnlyCollection<string> Names => _profiles.Keys;

    /// <summary>The window a data packet describes, in our channels; null when the profile maps none of its factors.
    /// Event time = DataTime; flags → quality bits; RF=1 (a resent frame) → the backfill bit.</summary>
    public static MonitorReading? Read(Hj212Packet packet, Hj212Profile profile, out string? why)
    {
        why = null;
        if (!Hj212Time.TryParse(packet.Cp.DataTime, profile.Offset, out var time))
        {
            why = $"DataTime '{packet.Cp.DataTime}' is not yyyyMMddHHmmss";
            return null;
        }
        var codes = profile.Codes ?? [];
        var measurements = new Dictionary<string, double>(StringComparer.Ordinal);
        int quality = packet.Resent ? QualityBits.Backfill : 0;
        foreach (var factor in packet.Cp.Factors)
        {
            bool used = false;
            // "code-Field" entries (a50001-Max → lafmax) come before the code's own entry.
            foreach (var suffix in factor.Values.Keys)
                if (codes.TryGetValue($"{factor.Code}-{suffix}", out var exact) && exact.ValueOf(factor, suffix) is { } v)
                {
                    measurements.TryAdd(exact.Channel, v);
                    used = true;
                }
            if (codes.TryGetValue(factor.Code, out var code))
                foreach (var field in code.Fields ?? profile.Fields ?? ["Avg", "Rtd", "Data"])
                    if (code.ValueOf(factor, field) is { } v)
                    {
                        measurements.TryAdd(code.Channel, v);
                        used = true;
                        break;
                    }
            if (used && factor.Flag is { } flag)
                quality |= (profile.Flags ?? []).TryGetValue(flag, out var bits) ? bits : profile.UnknownFlag ?? QualityBits.SensorFault;
        }
        if (measurements.Count == 0)
        {
            why = $"no factor this profile maps ({string.Join(", ", packet.Cp.Factors.Select(f => f.Code))})";
            return null;
        }
        return new MonitorReading(time.ToUnixTimeSeconds(), profile.DurationOf(packet.Cn!), quality, measurements);
    }

    /// <summary>A record's seq from (CN, DataTime): the fleet's identity (dev, seq) is then HJ 212's (MN, CN, DataTime), so a
    /// frame sent again is stored once. Seconds since 2020 × 4 + the command's slot (fits 32 bits until 2054).</summary>
    public static uint SeqOf(string cn, long time) => (uint)((time - Epoch2020) * SeqSlots + SlotOf(cn));

    /// <summary>The command's slot in a seq: seq % <see cref="SeqSlots"/> tells which command a record came from.</summary>
    public static int SlotOf(string cn) => cn switch { Hj212Commands.MinuteData => 0, Hj212Commands.RealTimeData => 1, Hj212Commands.HourData => 2, _ => 3 };

    public const int SeqSlots = 4;

    private const long Epoch2020 = 1577836800;
}
