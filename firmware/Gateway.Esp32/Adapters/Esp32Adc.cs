using System;
using System.Device.Adc;
using Iot.Gateway.Hardware;
using nanoFramework.Hardware.Esp32;

namespace Iot.Gateway.Esp32.Adapters
{
    /// <summary>
    /// IAdc on the ESP32's ADC1 (12 bit). Channels are ADC1 channel numbers (PinMap.FanCurrentAdcChannel, ...).
    /// A burst samples one channel every SampleIntervalMicroseconds, paced on the esp_timer counter, so that
    /// SamplesPerMainsCycle samples span one 50 Hz cycle and a burst of a multiple of it spans whole cycles.
    /// </summary>
    public sealed class Esp32Adc : IAdc
    {
        /// <summary>Sampling period within a burst: 1 kHz.</summary>
        public const int SampleIntervalMicroseconds = 1000;

        /// <summary>Samples per 20 ms mains cycle at that rate (Chinese mains: 50 Hz).</summary>
        public const int SamplesPerMainsCycle = 20;

        private readonly AdcController _controller;
        private readonly AdcChannel[] _channels;

        /// <summary>Opens the listed ADC1 channels; others are refused by SampleBurst.</summary>
        public Esp32Adc(int[] adc1Channels)
        {
            _controller = new AdcController();
            int highest = 0;
            for (int i = 0; i < adc1Channels.Length; i++)
            {
                if (adc1Channels[i] > highest) highest = adc1Channels[i];
            }
            _channels = new AdcChannel[highest + 1];
            for (int i = 0; i < adc1Channels.Length; i++)
            {
                _channels[adc1Channels[i]] = _controller.OpenChannel(adc1Channels[i]);
            }
        }

        /// <summary>Largest raw count (4095 on the ESP32).</summary>
        public int MaxValue
        {
            get { return _controller.MaxValue; }
        }

        /// <inheritdoc />
        public void SampleBurst(int channel, int[] buffer, int count)
        {
            if (channel < 0 || channel >= _channels.Length || _channels[channel] == null) throw new ArgumentOutOfRangeException("channel");
            AdcChannel adc = _channels[channel];
            ulong next = HighResTimer.GetCurrent();
            for (int i = 0; i < count; i++)
            {
                while (HighResTimer.GetCurrent() < next)
                {
                    // A 1 ms period is too short for Thread.Sleep's granularity: spin on the timer.
                }
                buffer[i] = adc.ReadValue();
                next += SampleIntervalMicroseconds;
            }
        }
    }
}
