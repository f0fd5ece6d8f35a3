using Iot.Gateway.Hardware;

namespace Iot.Gateway.Virtual.Hardware;

/// <summary>
/// The ADC with the current transformers: each channel gives a 50 Hz sine (whole cycles, 40 samples each)
/// on a mid-rail bias whose RMS is the channel's current divided by the calibration (A per count).
/// </summary>
public sealed class SimulatedCurrentClamps(double ampsPerCount) : IAdc
{
    private const int Bias = 2048;
    private const int SamplesPerCycle = 40;
    private readonly double[] _amps = new double[4];

    /// <summary>Sets a channel's RMS current, A.</summary>
    public void SetAmps(int channel, double amps) => _amps[channel] = Math.Max(0, amps);

    public void SampleBurst(int channel, int[] buffer, int count)
    {
        double peak = _amps[channel] / ampsPerCount * Math.Sqrt(2);
        for (int i = 0; i < count; i++)
        {
            buffer[i] = Bias + (int)Math.Round(peak * Math.Sin(2 * Math.PI * i / SamplesPerCycle));
        }
    }
}

/// <summary>The enclosure's tamper switch, opened and closed by the scenario.</summary>
public sealed class SimulatedTamperSwitch : IDigitalInput
{
    public bool IsOpen { get; set; }
}
