using System.Globalization;
using System.Text.RegularExpressions;
using Iot.Contract;
using Iot.Gateway.Configuration;
using Iot.Gateway.Telemetry;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Iot.Gateway.Virtual.Simulation;

/// <summary>What a set of virtual gateways do over time (see README.md for the file format).</summary>
public sealed class Scenario
{
    /// <summary>Simulated length in seconds; records are produced for every whole minute of it.</summary>
    public required long DurationSeconds { get; init; }

    /// <summary>Start relative to now in seconds (negative: in the past); null: now at speed 1, now − duration when accelerated.</summary>
    public long? StartOffsetSeconds { get; init; }

    public required IReadOnlyList<DeviceScenario> Devices { get; init; }

    /// <summary>Reads a scenario file; throws ScenarioException naming the line and the reason.</summary>
    public static Scenario Load(string path) => Parse(File.ReadAllText(path), Path.GetFileName(path));

    /// <summary>Parses scenario YAML (JSON is valid YAML too).</summary>
    public static Scenario Parse(string yaml, string name = "scenario") => new ScenarioReader(name).Read(yaml);
}

/// <summary>One device (or, with count, several alike) of a scenario.</summary>
public sealed class DeviceScenario
{
    public required string Id { get; init; }
    public required SiteKind Site { get; init; }
    /// <summary>A dust site's sensor: a PMS5003-style laser sensor on a UART instead of the RS-485 dust monitor.</summary>
    public bool Pms5003 { get; init; }
    /// <summary>Relative random variation of every level per second (0.02 = ±2 %).</summary>
    public double Jitter { get; init; } = 0.02;
    /// <summary>Levels by wire channel index (Telemetry.Channel); later segments win where they overlap.</summary>
    public Dictionary<int, List<Segment>> Levels { get; init; } = [];
    /// <summary>Meter silent (unplugged, broken).</summary>
    public List<Span> Faults { get; init; } = [];
    /// <summary>No network: the MQTT session is down, records buffer and backfill later.</summary>
    public List<Span> Outages { get; init; } = [];
    /// <summary>Clock not synchronised.</summary>
    public List<Span> ClockLoss { get; init; } = [];
    /// <summary>Enclosure lid open.</summary>
    public List<Span> Tamper { get; init; } = [];
    public List<Reboot> Reboots { get; init; } = [];

    /// <summary>The level of a channel at second s, or null when the scenario does not set it.</summary>
    public double? LevelAt(int channel, long s)
    {
        if (!Levels.TryGetValue(channel, out var segments)) return null;
        double? value = null;
        foreach (var seg in segments)
        {
            if (s >= seg.From && (seg.For is not { } length || s < seg.From + length)) value = seg.Value;
        }
        return value;
    }

    public static bool In(List<Span> spans, long s)
    {
        foreach (var span in spans)
        {
            if (s >= span.From && s < span.From + span.For) return true;
        }
        return false;
    }
}

/// <summary>A level from a second on, for a while or to the end.</summary>
public sealed record Segment(long From, long? For, double Value);

/// <summary>A span of simulated seconds [From, From + For).</summary>
public sealed record Span(long From, long For);

/// <summary>A restart at At after Down seconds off; Clean: a planned restart (no power-interruption bit).</summary>
public sealed record Reboot(long At, long Down, bool Clean);

/// <summary>A scenario file that cannot be used, with where and why.</summary>
public sealed class ScenarioException(string message) : Exception(message);

internal sealed partial class ScenarioReader(string name)
{
    private static readonly Dictionary<SiteKind, string[]> SiteChannels = new()
    {
        [SiteKind.Noise] = ["laeq"],
        [SiteKind.Dust] = ["pm10", "pm25", "tsp", "temp", "rh"], // a PMS5003 gives only pm10 and pm25
        [SiteKind.Fume] = ["fume", "fan_a", "pur_a"],
    };

    public Scenario Read(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new ScenarioException($"{name}:{e.Start.Line}: {e.Message}");
        }
        if (stream.Documents.Count == 0) throw new ScenarioException($"{name}:1: the file is empty");
        var root = Map(stream.Documents[0].RootNode, "the scenario");
        CheckKeys(root, "duration", "start", "devices");

        long duration = Duration(Required(root, "duration"));
        if (duration < 60) throw Error(Required(root, "duration"), "duration must be at least one minute (60s)");
        long? start = root.Children.TryGetValue("start", out var startNode) ? SignedDuration(startNode) : null;

        var devicesNode = Required(root, "devices");
        if (devicesNode is not YamlSequenceNode devices || devices.Children.Count == 0) throw Error(devicesNode, "devices must be a non-empty list");
        var list = new List<DeviceScenario>();
        var ids = new HashSet<string>();
        foreach (var node in devices.Children)
        {
            foreach (var device in Device(node))
            {
                if (!ids.Add(device.Id)) throw Error(node, $"device id {device.Id} appears twice");
                list.Add(device);
            }
        }
        return new Scenario { DurationSeconds = duration, StartOffsetSeconds = start, Devices = list };
    }

    private IEnumerable<DeviceScenario> Device(YamlNode node)
    {
        var map = Map(node, "a device");
        CheckKeys(map, "id", "site", "sensor", "count", "jitter", "levels", "faults", "outages", "clock_loss", "tamper", "reboots");
        var idNode = Required(map, "id");
        string pattern = Scalar(idNode);
        int count = map.Children.TryGetValue("count", out var countNode) ? Int(countNode, 1, 100_000) : 1;
        if (count > 1 && !pattern.Contains("{n}")) throw Error(idNode, "with count, the id needs {n} (e.g. NS-{n} gives NS-0001, NS-0002, ...)");

        var siteNode = Required(map, "site");
        SiteKind site = Scalar(siteNode) switch
        {
            "noise" => SiteKind.Noise,
            "dust" => SiteKind.Dust,
            "fume" => SiteKind.Fume,
            var other => throw Error(siteNode, $"unknown site '{other}' (noise, dust or fume)"),
        };
        bool pms = false;
        if (map.Children.TryGetValue("sensor", out var sensorNode))
        {
            pms = Scalar(sensorNode) switch
            {
                "modbus" => false,
                "pms5003" when site == SiteKind.Dust => true,
                var other => throw Error(sensorNode, $"sensor '{other}': use modbus, or pms5003 on a dust site"),
            };
        }
        double jitter = map.Children.TryGetValue("jitter", out var jitterNode) ? Number(jitterNode, 0, 0.5) : 0.02;
        var levels = map.Children.TryGetValue("levels", out var levelsNode) ? Levels(levelsNode, site) : [];
        var faults = Spans(map, "faults");
        var outages = Spans(map, "outages");
        var clockLoss = Spans(map, "clock_loss");
        var tamper = Spans(map, "tamper");
        var reboots = Reboots(map);

        for (int n = 1; n <= count; n++)
        {
            string id = pattern.Replace("{n}", n.ToString("D4", CultureInfo.InvariantCulture));
            if (!DeviceId().IsMatch(id)) throw Error(idNode, $"device id '{id}' does not match ^[A-Z0-9][A-Z0-9-]{{2,31}}$");
            yield return new DeviceScenario
            {
                Id = id, Site = site, Pms5003 = pms, Jitter = jitter, Levels = levels, Faults = faults, Outages = outages,
                ClockLoss = clockLoss, Tamper = tamper, Reboots = reboots,
            };
        }
    }

    private Dictionary<int, List<Segment>> Levels(YamlNode node, SiteKind site)
    {
        var map = Map(node, "levels");
        var result = new Dictionary<int, List<Segment>>();
        foreach (var (keyNode, value) in map.Children)
        {
            string key = Scalar(keyNode);
            if (!SiteChannels[site].Contains(key))
                throw Error(keyNode, $"a {site.ToString().ToLowerInvariant()} site's simulated sensors give {string.Join(", ", SiteChannels[site])}, not '{key}'");
            int channel = Channel.Find(key);
            var segments = new List<Segment>();
            if (value is YamlScalarNode)
            {
                segments.Add(new Segment(0, null, Number(value, -1000, 100_000)));
            }
            else if (value is YamlSequenceNode seq)
            {
                foreach (var item in seq.Children)
                {
                    var seg = Map(item, "a level");
                    CheckKeys(seg, "from", "for", "value");
                    long from = seg.Children.TryGetValue("from", out var f) ? Duration(f) : 0;
                    long? length = seg.Children.TryGetValue("for", out var l) ? Duration(l) : null;
                    segments.Add(new Segment(from, length, Number(Required(seg, "value"), -1000, 100_000)));
                }
            }
            else
            {
                throw Error(value, $"{key} must be a number or a list of {{from, for, value}}");
            }
            result[channel] = segments;
        }
        return result;
    }

    private List<Span> Spans(YamlMappingNode device, string key)
    {
        var spans = new List<Span>();
        if (!device.Children.TryGetValue(key, out var node)) return spans;
        if (node is not YamlSequenceNode seq) throw Error(node, $"{key} must be a list of {{from, for}}");
        foreach (var item in seq.Children)
        {
            var span = Map(item, $"an entry of {key}");
            CheckKeys(span, "from", "for");
            long length = Duration(Required(span, "for"));
            if (length <= 0) throw Error(span, "for must be positive");
            spans.Add(new Span(Duration(Required(span, "from")), length));
        }
        return spans;
    }

    private List<Reboot> Reboots(YamlMappingNode device)
    {
        var reboots = new List<Reboot>();
        if (!device.Children.TryGetValue("reboots", out var node)) return reboots;
        if (node is not YamlSequenceNode seq) throw Error(node, "reboots must be a list of {at, down, clean}");
        foreach (var item in seq.Children)
        {
            var map = Map(item, "a reboot");
            CheckKeys(map, "at", "down", "clean");
            long at = Duration(Required(map, "at"));
            long down = map.Children.TryGetValue("down", out var d) ? Duration(d) : 10;
            bool clean = map.Children.TryGetValue("clean", out var c) && Bool(c);
            reboots.Add(new Reboot(at, down, clean));
        }
        reboots.Sort((a, b) => a.At.CompareTo(b.At));
        return reboots;
    }

    private long Duration(YamlNode node)
    {
        long value = SignedDuration(node);
        if (value < 0) throw Error(node, "a time here cannot be negative");
        return value;
    }

    // "90s", "10m", "1h30m", "00:10" (hh:mm), "00:10:30", "0"; a leading "-" for times in the past.
    private long SignedDuration(YamlNode node)
    {
        string text = Scalar(node).Trim();
        if (TryParseDuration(text, out long seconds)) return seconds;
        throw Error(node, $"'{text}' is not a time: write 30s, 10m, 1h30m or 00:10 (hh:mm)");
    }

    internal static bool TryParseDuration(string text, out long seconds)
    {
        seconds = 0;
        bool negative = text.StartsWith('-');
        if (negative) text = text[1..];
        if (text == "0")
        {
            return true;
        }
        var clock = ClockTime().Match(text);
        var units = UnitTime().Match(text);
        if (clock.Success)
        {
            seconds = 3600 * long.Parse(clock.Groups[1].Value, CultureInfo.InvariantCulture) + 60 * long.Parse(clock.Groups[2].Value, CultureInfo.InvariantCulture)
                + (clock.Groups[3].Success ? long.Parse(clock.Groups[3].Value, CultureInfo.InvariantCulture) : 0);
        }
        else if (units.Success && text.Length > 0)
        {
            long Part(int g) => units.Groups[g].Success ? long.Parse(units.Groups[g].Value, CultureInfo.InvariantCulture) : 0;
            seconds = 3600 * Part(1) + 60 * Part(2) + Part(3);
        }
        else
        {
            return false;
        }
        if (negative) seconds = -seconds;
        return true;
    }

    private YamlMappingNode Map(YamlNode node, string what) =>
        node as YamlMappingNode ?? throw Error(node, $"{what} must be a mapping (key: value lines)");

    private string Scalar(YamlNode node) =>
        node is YamlScalarNode { Value: { } v } ? v : throw Error(node, "expected a single value here");

    private YamlNode Required(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(key, out var node) ? node : throw Error(map, $"'{key}' is missing");

    private double Number(YamlNode node, double min, double max)
    {
        string text = Scalar(node);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) throw Error(node, $"'{text}' is not a number");
        if (v < min || v > max) throw Error(node, $"{text} is out of range ({min} to {max})");
        return v;
    }

    private int Int(YamlNode node, int min, int max)
    {
        double v = Number(node, min, max);
        if (v != Math.Floor(v)) throw Error(node, "expected a whole number");
        return (int)v;
    }

    private bool Bool(YamlNode node) => Scalar(node) switch
    {
        "true" or "yes" => true,
        "false" or "no" => false,
        var other => throw Error(node, $"'{other}' is not true or false"),
    };

    private void CheckKeys(YamlMappingNode map, params string[] allowed)
    {
        foreach (var key in map.Children.Keys)
        {
            string k = Scalar(key);
            if (!allowed.Contains(k)) throw Error(key, $"unknown key '{k}' (expected one of: {string.Join(", ", allowed)})");
        }
    }

    private ScenarioException Error(YamlNode node, string reason) => new($"{name}:{node.Start.Line}: {reason}");

    [GeneratedRegex(@"^(\d+):(\d{2})(?::(\d{2}))?$")]
    private static partial Regex ClockTime();

    [GeneratedRegex(@"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")]
    private static partial Regex UnitTime();

    [GeneratedRegex("^[A-Z0-9][A-Z0-9-]{2,31}$")]
    private static partial Regex DeviceId();
}
