using QualityBits = Iot.Contract.QualityBits;
using System.Text;
using System.Text.Json;

namespace Iot.Fleet.Telemetry;

/// <summary>A message that breaks wire protocol v1; <see cref="Exception.Message"/> says why, for engineers.</summary>
public sealed class RejectedMessageException(string reason) : Exception(reason);

/// <summary>A telemetry envelope that passed validation.</summary>
public sealed record TelemetryEnvelope(string Device, string? Firmware, long? Boot, IReadOnlyList<TelemetryRecord> Records)
{
    /// <summary>The envelope's `mac` (64 lower-case hex digits, the last member), or null when it has none; the ingest
    /// checks it against the device's evidence key (Ingest/DeviceProof.cs).</summary>
    public string? Mac { get; init; }
}

/// <summary>A device event (`boot`, `tamper`, `sensor_fault`, `clock`, `config_applied`, `ota`, or project-defined).</summary>
public sealed record DeviceEvent(string Device, long Time, string Type, string Data)
{
    /// <summary>Row in the fleet's events table; 0 until stored.</summary>
    public long Id { get; init; }
}

/// <summary>Entries the fleet itself writes into the events table beside the devices' events. Their types
/// contain a dot, which <see cref="WireProtocol.EventType"/> refuses from devices.</summary>
public static class FleetEventTypes
{
    /// <summary>A (dev, seq) arrived again with other content; `data` holds both versions.</summary>
    public const string SeqConflict = "fleet.seq_conflict";

    /// <summary>A telemetry message on the device's topic failed its device proof (Ingest/DeviceProof.cs) and was
    /// rejected; `data` holds the reason and the SHA-256 of the payload (the payload is in the rejections sample).</summary>
    public const string ProofFailed = "fleet.proof_failed";
}

/// <summary>A device's retained status; the will message sets only Online = false.</summary>
public sealed record DeviceStatus(string Device, bool Online, string? Firmware, long? Boot, long? Uptime, int? Rssi, long? Heap, string? Clock, long? Buffered);

/// <summary>Validates device messages against wire protocol v1. Any breach rejects the whole message:
/// a half-accepted envelope would leave the device unsure which records to keep.</summary>
public static class MessageParser
{
    /// <summary>Parses a telemetry envelope published on `iot/v1/{topicDevice}/telemetry`.</summary>
    public static TelemetryEnvelope ParseTelemetry(string topicDevice, ReadOnlySpan<byte> payload, DateTimeOffset now)
    {
        using var doc = Open(payload);
        var root = doc.RootElement;
        var device = Header(root, topicDevice);
        var firmware = OptionalString(root, "fw"u8, 32);
        var boot = OptionalUInt(root, "boot"u8);
        if (!root.TryGetProperty("recs"u8, out var recs) || recs.ValueKind != JsonValueKind.Array)
            throw new RejectedMessageException("`recs` must be an array");
        var count = recs.GetArrayLength();
        if (count is < 1 or > WireProtocol.MaxRecordsPerMessage)
            throw new RejectedMessageException($"`recs` holds {count} records; 1 to {WireProtocol.MaxRecordsPerMessage} allowed");

        var (earliest, latest) = WireProtocol.TimeRange(now);
        var records = new List<TelemetryRecord>(count);
        var index = 0;
        foreach (var rec in recs.EnumerateArray())
        {
            // Where in the envelope a fault is; only ever spelled out for a rejection.
            var where = new Where(index++);
            if (rec.ValueKind != JsonValueKind.Object) throw new RejectedMessageException($"{where} is not an object");
            var seq = RequiredUInt(rec, "seq"u8, where);
            if (seq > uint.MaxValue) throw new RejectedMessageException($"{where}.seq {seq} is above 2^32-1");
            var t = RequiredInteger(rec, "t"u8, where);
            if (t < earliest || t > latest)
                throw new RejectedMessageException($"{where}.t {t} is outside {earliest}..{latest} (clock not set, or ahead of the fleet)");
            var dur = rec.TryGetProperty("dur"u8, out var durElement) ? Integer(durElement, where, "dur"u8) : WireProtocol.DefaultDurationSeconds;
            if (dur is < 1 or > WireProtocol.MaxDurationSeconds)
                throw new RejectedMessageException($"{where}.dur {dur} is outside 1..{WireProtocol.MaxDurationSeconds}");
            var q = RequiredInteger(rec, "q"u8, where);
            if (q < 0 || (q & ~QualityBits.All) != 0)
                throw new RejectedMessageException($"{where}.q {q} has bits version 1 does not define");
            records.Add(new TelemetryRecord(device, (uint)seq, t, (int)dur, (int)q, Measurements(rec, where))
            {
                Firmware = firmware,
                ReceivedAt = now,
                MeasurementsJson = rec.GetProperty("m"u8).GetRawText(),
            });
        }
        return new TelemetryEnvelope(device, firmware, boot, records) { Mac = Mac(root, payload) };
    }

    /// <summary>`,"mac":"` + 64 hex digits + `"}`: how every authenticated envelope ends.</summary>
    public const int MacSuffixBytes = 8 + 64 + 2;

    /// <summary>The envelope's `mac`, checked for form only: once, a string of 64 lower-case hex digits, written as the
    /// payload's last bytes exactly as `,"mac":"{hex}"}` (the MAC covers every byte before that comma).</summary>
    private static string? Mac(JsonElement root, ReadOnlySpan<byte> payload)
    {
        string? mac = null;
        var count = 0;
        foreach (var property in root.EnumerateObject())
        {
            if (!property.NameEquals("mac"u8)) continue;
            if (++count > 1) throw new RejectedMessageException("`mac` appears more than once");
            if (property.Value.ValueKind != JsonValueKind.String) throw new RejectedMessageException("`mac` is not a string");
            mac = property.Value.GetString()!;
        }
        if (mac is null) return null;
        if (mac.Length != 64 || !mac.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f'))
            throw new RejectedMessageException($"`mac` is not 64 lower-case hex digits (HMAC-SHA256): {Shorten(mac)}");
        if (!TrySplitMac(payload, out _, out var last) || last != mac)
            throw new RejectedMessageException("`mac` is not the envelope's last member written exactly as ,\"mac\":\"{hex}\"}");
        return mac;
    }

    /// <summary>Splits an authenticated envelope: the signed prefix (every byte before `,"mac":"`) and the MAC's hex;
    /// false when the payload does not end in exactly `,"mac":"{64 lower-case hex digits}"}`.</summary>
    public static bool TrySplitMac(ReadOnlySpan<byte> payload, out int signedLength, out string mac)
    {
        signedLength = -1;
        mac = "";
        if (payload.Length < MacSuffixBytes + 2) return false;
        var suffix = payload[^MacSuffixBytes..];
        if (!suffix.StartsWith(",\"mac\":\""u8) || !suffix.EndsWith("\"}"u8)) return false;
        var hex = suffix[8..^2];
        foreach (var b in hex)
            if (!(b is >= (byte)'0' and <= (byte)'9' || b is >= (byte)'a' and <= (byte)'f')) return false;
        signedLength = payload.Length - MacSuffixBytes;
        mac = Encoding.ASCII.GetString(hex);
        return true;
    }

    /// <summary>Parses an event published on `iot/v1/{topicDevice}/event`.</summary>
    public static DeviceEvent ParseEvent(string topicDevice, ReadOnlySpan<byte> payload, DateTimeOffset now)
    {
        using var doc = Open(payload);
        var root = doc.RootElement;
        var device = Header(root, topicDevice);
        var t = RequiredInteger(root, "t", "event");
        var (earliest, latest) = WireProtocol.TimeRange(now);
        if (t < earliest || t > latest)
            throw new RejectedMessageException($"event.t {t} is outside {earliest}..{latest} (clock not set, or ahead of the fleet)");
        var type = OptionalString(root, "type"u8, 32) ?? throw new RejectedMessageException("event has no `type`");
        if (!WireProtocol.EventType().IsMatch(type)) throw new RejectedMessageException($"event type {Shorten(type)} is not a lower-case name");
        var data = "{}";
        if (root.TryGetProperty("data"u8, out var d) && d.ValueKind != JsonValueKind.Null)
        {
            if (d.ValueKind != JsonValueKind.Object) throw new RejectedMessageException("event.data is not an object");
            data = d.GetRawText();
            if (Encoding.UTF8.GetByteCount(data) > WireProtocol.MaxEventDataBytes)
                throw new RejectedMessageException($"event.data is longer than {WireProtocol.MaxEventDataBytes} bytes");
        }
        return new DeviceEvent(device, t, type, data);
    }

    /// <summary>Parses a status published on `iot/v1/{topicDevice}/status`.</summary>
    public static DeviceStatus ParseStatus(string topicDevice, ReadOnlySpan<byte> payload)
    {
        using var doc = Open(payload);
        var root = doc.RootElement;
        var device = Header(root, topicDevice);
        if (!root.TryGetProperty("online", out var online) || online.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            throw new RejectedMessageException("status has no boolean `online`");
        return new DeviceStatus(device, online.GetBoolean(), OptionalString(root, "fw"u8, 32), OptionalUInt(root, "boot"u8), OptionalUInt(root, "uptime"u8),
            (int?)OptionalInRange(root, "rssi"u8, -200, 50), OptionalUInt(root, "heap"u8), OptionalString(root, "clock"u8, 16), OptionalUInt(root, "buffered"u8));
    }

    private static JsonDocument Open(ReadOnlySpan<byte> payload)
    {
        if (payload.Length > WireProtocol.MaxPayloadBytes)
            throw new RejectedMessageException($"payload of {payload.Length} bytes is over {WireProtocol.MaxPayloadBytes}");
        // The reader accepts invalid UTF-8 inside strings and fails only when one is read.
        if (!System.Text.Unicode.Utf8.IsValid(payload)) throw new RejectedMessageException("payload is not valid UTF-8");
        JsonDocument doc;
        try
        {
            var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = 8 });
            doc = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            throw new RejectedMessageException($"bad JSON: {e.Message}");
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            doc.Dispose();
            throw new RejectedMessageException("payload is not a JSON object");
        }
        return doc;
    }

    /// <summary>Checks `v` and `dev` and returns the device id.</summary>
    private static string Header(JsonElement root, string topicDevice)
    {
        if (!WireProtocol.DeviceId().IsMatch(topicDevice))
            throw new RejectedMessageException($"topic device id {Shorten(topicDevice)} is not a valid device id");
        if (!root.TryGetProperty("v"u8, out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var version) || version != WireProtocol.Version)
            throw new RejectedMessageException($"unknown version `v` (expected {WireProtocol.Version})");
        if (!root.TryGetProperty("dev"u8, out var dev) || dev.ValueKind != JsonValueKind.String)
            throw new RejectedMessageException("`dev` is missing");
        var device = dev.GetString()!;
        if (!string.Equals(device, topicDevice, StringComparison.Ordinal))
            throw new RejectedMessageException($"`dev` {Shorten(device)} does not match the topic's device {topicDevice}");
        return device;
    }

    private static Dictionary<string, double> Measurements(JsonElement rec, Where where)
    {
        if (!rec.TryGetProperty("m"u8, out var m) || m.ValueKind != JsonValueKind.Object)
            throw new RejectedMessageException($"{where}.m must be an object");
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var property in m.EnumerateObject())
        {
            // The protocol's channels keep their one string instance; only project-defined names are allocated and checked.
            var channel = Channels.Find(property);
            var name = channel?.Name ?? property.Name;
            if (channel is null && !WireProtocol.ChannelName().IsMatch(name))
                throw new RejectedMessageException($"{where}.m has a bad channel name {Shorten(name)}");
            if (channel is null && WireProtocol.ReservedChannelNames.Contains(name))
                throw new RejectedMessageException($"{where}.m uses the reserved name {name} as a channel");
            if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetDouble(out var value) || !double.IsFinite(value))
                throw new RejectedMessageException($"{where}.m.{name} is not a number");
            if (channel is not null && (value < channel.Min || value > channel.Max))
                throw new RejectedMessageException($"{where}.m.{name} {value} is outside {channel.Min}..{channel.Max} {channel.Unit}");
            if (!values.TryAdd(name, value)) throw new RejectedMessageException($"{where}.m has {name} twice");
        }
        return values;
    }

    /// <summary>A record's place in `recs`, as a rejection names it.</summary>
    private readonly record struct Where(int Index)
    {
        public override string ToString() => $"recs[{Index}]";
    }

    // The envelope's hot path looks properties up by their UTF-8 names: a string name is transcoded on every lookup.
    private static long RequiredInteger(JsonElement element, ReadOnlySpan<byte> name, Where where) =>
        element.TryGetProperty(name, out var value) ? Integer(value, where, name) : throw new RejectedMessageException($"{where}.{Encoding.UTF8.GetString(name)} is missing");

    private static long RequiredInteger(JsonElement element, string name, string where) =>
        element.TryGetProperty(name, out var value) ? Integer(value, $"{where}.{name}") : throw new RejectedMessageException($"{where}.{name} is missing");

    private static long Integer(JsonElement element, Where where, ReadOnlySpan<byte> name) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var value)
            ? value
            : throw new RejectedMessageException($"{where}.{Encoding.UTF8.GetString(name)} is not a whole number");

    private static long RequiredUInt(JsonElement element, ReadOnlySpan<byte> name, Where where)
    {
        var value = RequiredInteger(element, name, where);
        return value >= 0 ? value : throw new RejectedMessageException($"{where}.{Encoding.UTF8.GetString(name)} {value} is negative");
    }

    private static long? OptionalUInt(JsonElement element, ReadOnlySpan<byte> name)
    {
        var value = OptionalInteger(element, name);
        return value is not < 0 ? value : throw new RejectedMessageException($"`{Encoding.UTF8.GetString(name)}` {value} is negative");
    }

    private static long? OptionalInRange(JsonElement element, ReadOnlySpan<byte> name, long min, long max)
    {
        var value = OptionalInteger(element, name);
        return value is null || (value >= min && value <= max)
            ? value
            : throw new RejectedMessageException($"`{Encoding.UTF8.GetString(name)}` {value} is outside {min}..{max}");
    }

    private static long? OptionalInteger(JsonElement element, ReadOnlySpan<byte> name) =>
        element.TryGetProperty(name, out var e) ? Integer(e, Encoding.UTF8.GetString(name)) : null;

    private static long Integer(JsonElement element, string what) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var value)
            ? value
            : throw new RejectedMessageException($"{what} is not a whole number");

    private static string? OptionalString(JsonElement element, ReadOnlySpan<byte> name, int maxLength)
    {
        if (!element.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind != JsonValueKind.String) throw new RejectedMessageException($"`{Encoding.UTF8.GetString(name)}` is not a string");
        var value = e.GetString()!;
        if (value.Length > maxLength) throw new RejectedMessageException($"`{Encoding.UTF8.GetString(name)}` is longer than {maxLength}");
        // A version or clock is printable; PostgreSQL's text cannot even hold U+0000.
        return value.Any(char.IsControl) ? throw new RejectedMessageException($"`{Encoding.UTF8.GetString(name)}` holds a control character") : value;
    }

    /// <summary>Keeps forged or garbage strings from bloating the rejection log.</summary>
    private static string Shorten(string value) => value.Length <= 40 ? $"\"{value}\"" : $"\"{value[..40]}…\"";

    /// <summary>The payload as text for the rejection sample, cut to a readable size.</summary>
    public static string Sample(ReadOnlySpan<byte> payload, int maxBytes = 2048)
    {
        var text = Encoding.UTF8.GetString(payload[..Math.Min(payload.Length, maxBytes)]);
        return payload.Length > maxBytes ? text + $"… ({payload.Length} bytes)" : text;
    }
}
