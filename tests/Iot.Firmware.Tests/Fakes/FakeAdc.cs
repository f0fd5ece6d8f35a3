using Iot.Gateway.Hardware;

namespace Iot.Firmware.Tests.Fakes;

/// <summary>An ADC that returns a sine of the given amplitude (counts) on a mid-rail bias.</summary>
public sealed class FakeAdc : IAdc
{
    public double AmplitudeCounts { get; set; }
    public int BiasCounts { get; set; } = 2048;
    public int SamplesPerCycle { get; set; } = 40;

    public void SampleBurst(int channel, int[] buffer, int count)
    {
        for (int i = 0; i < count; i++)
        {
            buffer[i] = BiasCounts + (int)Math.Round(AmplitudeCounts * Math.Sin(2 * Math.PI * i / SamplesPerCycle));
        }
    }
}
