using System;
using Iot.Gateway.Hardware;

namespace Iot.Gateway.Power
{
    /// <summary>
    /// A current transformer on a fan or purifier supply line, read through the ADC: RMS of a burst of
    /// samples with the DC bias removed, amps by a calibration factor, and running/stopped with hysteresis
    /// so that a current near the threshold does not flap.
    /// </summary>
    public sealed class CurrentTransformerChannel
    {
        private readonly IAdc _adc;
        private readonly int _adcChannel;
        private readonly double _ampsPerCount;
        private readonly double _onAmps;
        private readonly double _offAmps;
        private readonly int[] _samples;

        /// <summary>Creates a channel; onAmps must be above offAmps.</summary>
        public CurrentTransformerChannel(IAdc adc, int adcChannel, int samplesPerBurst, double ampsPerCount, double onAmps, double offAmps)
        {
            if (adc == null) throw new ArgumentNullException("adc");
            if (samplesPerBurst < 2) throw new ArgumentOutOfRangeException("samplesPerBurst");
            if (ampsPerCount <= 0) throw new ArgumentOutOfRangeException("ampsPerCount");
            if (!(onAmps > offAmps) || offAmps < 0) throw new ArgumentException("on threshold must be above off threshold");
            _adc = adc;
            _adcChannel = adcChannel;
            _ampsPerCount = ampsPerCount;
            _onAmps = onAmps;
            _offAmps = offAmps;
            _samples = new int[samplesPerBurst];
        }

        /// <summary>RMS current of the last measurement, A.</summary>
        public double Amps { get; private set; }

        /// <summary>Whether the load is considered running.</summary>
        public bool IsRunning { get; private set; }

        /// <summary>Samples one burst, updates Amps and IsRunning; returns IsRunning.</summary>
        public bool Measure()
        {
            _adc.SampleBurst(_adcChannel, _samples, _samples.Length);
            Amps = RmsCounts(_samples, _samples.Length) * _ampsPerCount;
            return Update(Amps);
        }

        /// <summary>Applies the hysteresis to a current reading; returns IsRunning.</summary>
        public bool Update(double amps)
        {
            if (!IsRunning && amps >= _onAmps) IsRunning = true;
            else if (IsRunning && amps <= _offAmps) IsRunning = false;
            return IsRunning;
        }

        /// <summary>RMS of samples[0..count) around their mean (the ADC's mid-rail bias), in counts.</summary>
        public static double RmsCounts(int[] samples, int count)
        {
            long sum = 0;
            for (int i = 0; i < count; i++) sum += samples[i];
            double mean = (double)sum / count;
            double squares = 0;
            for (int i = 0; i < count; i++)
            {
                double d = samples[i] - mean;
                squares += d * d;
            }
            return Math.Sqrt(squares / count);
        }
    }
}
