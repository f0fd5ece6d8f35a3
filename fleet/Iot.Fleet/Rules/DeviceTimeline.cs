using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Rules;

/// <summary>How a channel's values combine within a minute.</summary>
public enum Combine
{
    /// <summary>Duration-weighted arithmetic mean.</summary>
    Mean,
    /// <summary>Energy mean of sound levels: 10·log10(mean(10^(L/10))).</summary>
    Energy,
    /// <summary>Highest value.</summary>
    Max,
}

/// <summary>
/// One device's records laid out per UTC minute, so rolling windows can be judged in event time.
/// Records of any length are split or combined by their overlap with each minute, weighted by
/// duration. Held in hour-sized chunks; chunks outside the working horizon are dropped and loaded
/// again from the record journal when late data needs them.
/// </summary>
public sealed class DeviceTimeline(string device)
{
    private readonly Dictionary<long, HourChunk> _hours = [];

    public string Device { get; } = device;

    /// <summary>Highest minute any record of this device covered, or long.MinValue.</summary>
    public long LatestMinute { get; private set; } = long.MinValue;

    /// <summary>How a channel combines inside one minute.</summary>
    public static Combine CombineOf(string channel) =>
        channel == Channels.Laeq || channel == Channels.L10 || channel == Channels.L90 ? Combine.Energy
        : channel == Channels.Lafmax ? Combine.Max
        : Combine.Mean;

    /// <summary>The hour (UTC hours since the epoch) a minute belongs to.</summary>
    public static long HourOf(long minute) => Floor(minute, 60) / 60;

    /// <summary>Sets the latest minute known from the journal before any hour is loaded.</summary>
    public void RestoreLatest(long minute)
    {
        if (minute > LatestMinute) LatestMinute = minute;
    }

    /// <summary>True when the hour's minutes are in memory.</summary>
    public bool HasHour(long hour) => _hours.ContainsKey(hour);

    /// <summary>Marks an hour as loaded even if no record falls in it.</summary>
    public void MarkLoaded(long hour)
    {
        if (!_hours.ContainsKey(hour)) _hours[hour] = new HourChunk();
    }

    /// <summary>Drops hours entirely before <paramref name="hour"/>.</summary>
    public void ForgetBefore(long hour)
    {
        // Called for every record: only look at the keys when the oldest hour moved.
        if (hour <= _forgottenBefore) return;
        _forgottenBefore = hour;
        foreach (var h in _hours.Keys.Where(h => h < hour).ToList()) _hours.Remove(h);
    }

    private long _forgottenBefore = long.MinValue;

    /// <summary>Adds a record's contribution to every minute it overlaps, or only to the minutes of
    /// <paramref name="onlyHour"/> when an hour is being loaded. Call once per record and hour.</summary>
    public void Add(TelemetryRecord record, long? onlyHour = null)
    {
        var end = record.Time + record.Duration;
        for (var minuteStart = Floor(record.Time, 60); minuteStart < end; minuteStart += 60)
        {
            var overlap = Math.Min(end, minuteStart + 60) - Math.Max(record.Time, minuteStart);
            var minute = minuteStart / 60;
            if (overlap <= 0 || (onlyHour is { } h && HourOf(minute) != h)) continue;
            var chunk = Chunk(minute);
            var i = (int)(minute - Floor(minute, 60));
            if (record.IsEvidence) chunk.ValidSeconds[i] += (short)overlap;
            else chunk.InvalidSeconds[i] += (short)overlap;
            if (record.IsEvidence)
            {
                var weight = overlap / 60.0;
                foreach (var (channel, value) in record.Measurements)
                    chunk.Channel(channel).Add(i, CombineOf(channel), value, weight, (short)overlap);
            }
            if (minute > LatestMinute) LatestMinute = minute;
        }
    }

    /// <summary>True when records cover the whole minute, valid or not.</summary>
    public bool IsCovered(long minute) =>
        _hours.TryGetValue(Floor(minute, 60) / 60, out var c) &&
        c.ValidSeconds[Index(minute)] + c.InvalidSeconds[Index(minute)] >= 60;

    /// <summary>The channel's value for a valid minute: fully covered by evidence records that carry
    /// the channel and by nothing that is not evidence.</summary>
    public bool TryGetValid(long minute, string channel, out double value)
    {
        value = 0;
        if (!_hours.TryGetValue(Floor(minute, 60) / 60, out var c)) return false;
        var i = Index(minute);
        if (c.InvalidSeconds[i] > 0 || c.ValidSeconds[i] < 60) return false;
        if (!c.Channels.TryGetValue(channel, out var ch) || ch.Seconds[i] < 60) return false;
        value = ch.Value(i, CombineOf(channel));
        return true;
    }

    private HourChunk Chunk(long minute)
    {
        var hour = Floor(minute, 60) / 60;
        if (!_hours.TryGetValue(hour, out var chunk)) _hours[hour] = chunk = new HourChunk();
        return chunk;
    }

    private static int Index(long minute) => (int)(minute - Floor(minute, 60));

    /// <summary>Rounds down to a multiple, also for negative numbers.</summary>
    public static long Floor(long value, long step) => value >= 0 ? value / step * step : -((-value + step - 1) / step * step);

    private sealed class HourChunk
    {
        public readonly short[] ValidSeconds = new short[60];
        public readonly short[] InvalidSeconds = new short[60];
        public readonly Dictionary<string, ChannelMinutes> Channels = [];

        public ChannelMinutes Channel(string name)
        {
            if (!Channels.TryGetValue(name, out var ch)) Channels[name] = ch = new ChannelMinutes();
            return ch;
        }
    }

    private sealed class ChannelMinutes
    {
        // Sum of value·weight (energy for sound levels, max for Max) and covered weight (minutes).
        public readonly double[] Sum = new double[60];
        public readonly double[] Weight = new double[60];
        public readonly short[] Seconds = new short[60];

        public void Add(int i, Combine combine, double value, double weight, short seconds)
        {
            switch (combine)
            {
                case Combine.Max:
                    Sum[i] = Seconds[i] == 0 ? value : Math.Max(Sum[i], value);
                    break;
                case Combine.Energy:
                    Sum[i] += Math.Pow(10, value / 10) * weight;
                    break;
                default:
                    Sum[i] += value * weight;
                    break;
            }
            Weight[i] += weight;
            Seconds[i] += seconds;
        }

        public double Value(int i, Combine combine) => combine switch
        {
            Combine.Max => Sum[i],
            Combine.Energy => 10 * Math.Log10(Sum[i] / Weight[i]),
            _ => Sum[i] / Weight[i],
        };
    }
}
