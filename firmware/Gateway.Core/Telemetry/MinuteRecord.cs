using System;
using Iot.Contract;

namespace Iot.Gateway.Telemetry
{
    /// <summary>
    /// One aggregation window of one device, as the wire protocol's record: seq, t, dur, q and the
    /// channels measured. Mutable and reused: the gateway keeps a few and refills them.
    /// </summary>
    public sealed class MinuteRecord
    {
        private readonly double[] _values = new double[Channel.Count];

        /// <summary>Record sequence number (unsigned 32-bit, kept across reboots).</summary>
        public uint Seq;
        /// <summary>Window start, Unix seconds UTC.</summary>
        public long T;
        /// <summary>Window length in seconds.</summary>
        public int Dur = 60;
        /// <summary>Quality bits (see QualityBits).</summary>
        public int Q;
        /// <summary>Bit i set when channel i was measured (see Channel.Bit).</summary>
        public int PresentMask;

        /// <summary>True when the channel was measured in this window.</summary>
        public bool Has(int channel)
        {
            return (PresentMask & Channel.Bit(channel)) != 0;
        }

        /// <summary>The channel's value; only meaningful when Has(channel).</summary>
        public double Get(int channel)
        {
            return _values[channel];
        }

        /// <summary>Sets a channel; non-finite values are refused so that they never reach the wire.</summary>
        public void Set(int channel, double value)
        {
            if (double.IsNaN(value) || double.IsInfinity(value)) throw new ArgumentOutOfRangeException("value");
            _values[channel] = value;
            PresentMask |= Channel.Bit(channel);
        }

        /// <summary>Leaves a channel out.</summary>
        public void Clear(int channel)
        {
            PresentMask &= ~Channel.Bit(channel);
            _values[channel] = 0;
        }

        /// <summary>Empties the record for reuse.</summary>
        public void Reset()
        {
            Seq = 0;
            T = 0;
            Dur = 60;
            Q = 0;
            PresentMask = 0;
            for (int i = 0; i < Channel.Count; i++) _values[i] = 0;
        }

        /// <summary>Copies every field of other into this record.</summary>
        public void CopyFrom(MinuteRecord other)
        {
            Seq = other.Seq;
            T = other.T;
            Dur = other.Dur;
            Q = other.Q;
            PresentMask = other.PresentMask;
            for (int i = 0; i < Channel.Count; i++) _values[i] = other._values[i];
        }
    }
}
