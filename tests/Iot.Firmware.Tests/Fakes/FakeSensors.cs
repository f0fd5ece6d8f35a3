using Iot.Gateway.Hardware;

namespace Iot.Firmware.Tests.Fakes;

/// <summary>A tamper switch the test opens and closes.</summary>
public sealed class FakeSwitch : IDigitalInput
{
    public bool IsOpen { get; set; }
}

/// <summary>An ADC with a sine of its own amplitude per channel (counts, on a mid-rail bias).</summary>
public sealed class FakeMultiChannelAdc : IAdc
{
    public double[] AmplitudeCounts { get; } = new double[4];

    public void SampleBurst(int channel, int[] buffer, int count)
    {
        for (int i = 0; i < count; i++) buffer[i] = 2048 + (int)Math.Round(AmplitudeCounts[channel] * Math.Sin(2 * Math.PI * i / 40));
    }
}

/// <summary>A PMS5003 UART: whatever frames the test queues are read back, as the sensor streams them.</summary>
public sealed class FakeParticulateUart : ISerialLink
{
    private readonly Queue<byte> _bytes = new();
    public int BaudRate => 9600;
    public void Send(byte[] frame) { foreach (var b in frame) _bytes.Enqueue(b); }
    public void DiscardInput() => _bytes.Clear();
    public void Write(byte[] buffer, int offset, int count) { }
    public int Read(byte[] buffer, int offset, int count, int timeoutMs)
    {
        int n = 0;
        while (n < count && _bytes.Count > 0) buffer[offset + n++] = _bytes.Dequeue();
        return n;
    }
}
