using System;
using Iot.Contract;

namespace Iot.Gateway.Telemetry
{
    /// <summary>
    /// Folds per-second samples into one-minute records exactly as wire protocol v1 defines them:
    /// LAeq as the energy mean of 1-second levels, LAFmax as the highest fast level, L10/L90 from the
    /// 1-second levels, plain means for dust, weather and fume, a vector mean for wind direction, the share
    /// of seconds fan and purifier ran and their mean current. A channel with no samples is left out, and an
    /// expected channel with no samples sets the sensor-fault bit. Every buffer is allocated up front:
    /// adding a sample allocates nothing.
    /// </summary>
    public sealed class MinuteAggregator
    {
        /// <summary>Window length in seconds.</summary>
        public const int WindowSeconds = 60;

        /// <summary>Fewest 1-second levels for which L10 and L90 are reported.</summary>
        public const int MinLevelsForPercentiles = 10;

        private const double DegreesToRadians = Math.PI / 180.0;
        private const int LevelCapacity = 2 * WindowSeconds;

        private readonly int _expectedMask;
        private readonly double[] _sum = new double[Channel.Count];
        private readonly int[] _count = new int[Channel.Count];
        private readonly double[] _levels = new double[LevelCapacity];
        private int _levelCount;
        private double _energySum;
        private double _fastMax;
        private int _fastMaxCount;
        private double _windSin;
        private double _windCos;
        private int _q;

        /// <summary>Creates an aggregator; expectedChannelMask names the channels this site must deliver (Channel.Bit).</summary>
        public MinuteAggregator(int expectedChannelMask)
        {
            _expectedMask = expectedChannelMask;
        }

        /// <summary>Start of the open window, Unix seconds (a multiple of 60).</summary>
        public long WindowStart { get; private set; }

        /// <summary>True after Begin.</summary>
        public bool IsOpen { get; private set; }

        /// <summary>The window start that contains utcSeconds.</summary>
        public static long AlignToMinute(long utcSeconds)
        {
            long r = utcSeconds % WindowSeconds;
            if (r < 0) r += WindowSeconds;
            return utcSeconds - r;
        }

        /// <summary>Opens the window containing utcSeconds, discarding anything collected.</summary>
        public void Begin(long utcSeconds)
        {
            ResetSums();
            WindowStart = AlignToMinute(utcSeconds);
            IsOpen = true;
        }

        /// <summary>True when utcSeconds lies past the open window, so it must be closed first.</summary>
        public bool IsDue(long utcSeconds)
        {
            return IsOpen && utcSeconds >= WindowStart + WindowSeconds;
        }

        /// <summary>ORs quality bits into the open window (clock unsynced, tamper, maintenance...).</summary>
        public void Flag(int qualityBits)
        {
            _q |= qualityBits & QualityBits.All;
        }

        /// <summary>Adds one second of noise: its equivalent level and its highest fast level, dB(A).</summary>
        public void AddNoiseSecond(double laeq1s, double lafMax1s)
        {
            if (IsFinite(laeq1s))
            {
                _energySum += Math.Pow(10, laeq1s / 10);
                _count[Channel.Laeq]++;
                if (_levelCount < LevelCapacity) _levels[_levelCount++] = laeq1s;
            }
            if (IsFinite(lafMax1s))
            {
                if (_fastMaxCount == 0 || lafMax1s > _fastMax) _fastMax = lafMax1s;
                _fastMaxCount++;
            }
        }

        /// <summary>Adds one reading of a channel that is reported as a plain mean (dust, weather, fume).</summary>
        public void AddValue(int channel, double value)
        {
            if (!IsFinite(value)) return;
            if (channel == Channel.Wdir)
            {
                AddWindDirection(value);
                return;
            }
            _sum[channel] += value;
            _count[channel]++;
        }

        /// <summary>Adds one wind-direction reading, degrees; averaged as a vector so 350° and 10° give 0°.</summary>
        public void AddWindDirection(double degrees)
        {
            if (!IsFinite(degrees)) return;
            double r = degrees * DegreesToRadians;
            _windSin += Math.Sin(r);
            _windCos += Math.Cos(r);
            _count[Channel.Wdir]++;
        }

        /// <summary>Adds one second of a fan or purifier: whether it ran and its current (NaN if unknown).</summary>
        public void AddRunSecond(int shareChannel, bool running, double amps)
        {
            if (shareChannel != Channel.Fan && shareChannel != Channel.Pur) throw new ArgumentOutOfRangeException("shareChannel");
            _count[shareChannel]++;
            if (running) _sum[shareChannel] += 1;
            if (IsFinite(amps))
            {
                int ampsChannel = shareChannel == Channel.Fan ? Channel.FanA : Channel.PurA;
                _sum[ampsChannel] += amps;
                _count[ampsChannel]++;
            }
        }

        /// <summary>Writes the open window into output (Seq untouched) and opens the window containing nextUtcSeconds.</summary>
        public void Close(MinuteRecord output, long nextUtcSeconds)
        {
            if (!IsOpen) throw new InvalidOperationException("no open window");
            output.PresentMask = 0;
            output.T = WindowStart;
            output.Dur = WindowSeconds;

            int q = _q;
            if (_count[Channel.Laeq] > 0)
            {
                output.Set(Channel.Laeq, 10 * Math.Log10(_energySum / _count[Channel.Laeq]));
                if (_levelCount >= MinLevelsForPercentiles)
                {
                    SortLevels();
                    output.Set(Channel.L10, Percentile(90));
                    output.Set(Channel.L90, Percentile(10));
                }
            }
            if (_fastMaxCount > 0) output.Set(Channel.Lafmax, _fastMax);

            for (int c = 0; c < Channel.Count; c++)
            {
                if (_count[c] == 0 || c == Channel.Laeq || c == Channel.Wdir) continue;
                output.Set(c, _sum[c] / _count[c]);
            }
            if (_count[Channel.Wdir] > 0)
            {
                double degrees = Math.Atan2(_windSin, _windCos) / DegreesToRadians;
                if (degrees < 0) degrees += 360;
                output.Set(Channel.Wdir, degrees);
            }

            for (int c = 0; c < Channel.Count; c++)
            {
                if ((_expectedMask & Channel.Bit(c)) != 0 && !output.Has(c)) q |= QualityBits.SensorFault;
            }
            output.Q = q;

            Begin(nextUtcSeconds);
        }

        private static bool IsFinite(double v)
        {
            return !double.IsNaN(v) && !double.IsInfinity(v);
        }

        // Nearest-rank percentile of the sorted 1-second levels.
        private double Percentile(int percent)
        {
            int rank = (percent * _levelCount + 99) / 100;
            if (rank < 1) rank = 1;
            return _levels[rank - 1];
        }

        private void SortLevels()
        {
            for (int i = 1; i < _levelCount; i++)
            {
                double v = _levels[i];
                int j = i - 1;
                while (j >= 0 && _levels[j] > v)
                {
                    _levels[j + 1] = _levels[j];
                    j--;
                }
                _levels[j + 1] = v;
            }
        }

        private void ResetSums()
        {
            for (int c = 0; c < Channel.Count; c++)
            {
                _sum[c] = 0;
                _count[c] = 0;
            }
            _levelCount = 0;
            _energySum = 0;
            _fastMax = 0;
            _fastMaxCount = 0;
            _windSin = 0;
            _windCos = 0;
            _q = 0;
        }
    }
}
