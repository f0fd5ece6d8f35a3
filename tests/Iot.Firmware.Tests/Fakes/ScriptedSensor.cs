using Iot.Gateway.Configuration;
using Iot.Gateway.Sensors;
using Iot.Gateway.Telemetry;

namespace Iot.Firmware.Tests.Fakes;

/// <summary>A sensor component whose every step the test scripts and counts.</summary>
public sealed class ScriptedSensor(string name, int warmUpSeconds = 0) : ISensorComponent
{
    public string Name => name;
    public int WarmUpSeconds => warmUpSeconds;
    public int Setups, Reads, Closes;
    public int SetupFailures;        // Setup throws this many times before it works
    public bool ReadThrows;
    public string? Failure;          // what Read reports (null: it answered)
    public double Level = 60;        // added as the second's noise level when it answers

    public void Setup()
    {
        Setups++;
        if (SetupFailures-- > 0) throw new InvalidOperationException(name + " would not start");
    }

    public string? Read(MinuteAggregator window)
    {
        Reads++;
        if (ReadThrows) throw new InvalidOperationException(name + " driver wedged");
        if (Failure is null) window.AddNoiseSecond(Level, Level);
        return Failure;
    }

    public void Close() => Closes++;
}

/// <summary>Composes fresh components for every configuration and keeps each set it made.</summary>
public sealed class ScriptedComposition(Func<ScriptedSensor[]> make) : ISensorComposition
{
    public List<ScriptedSensor[]> Made { get; } = [];

    public ISensorComponent[] Compose(GatewayConfig config)
    {
        var sensors = make();
        Made.Add(sensors);
        return sensors;
    }
}
