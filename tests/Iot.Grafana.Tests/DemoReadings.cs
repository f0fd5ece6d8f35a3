using Iot.Contract;
using Iot.Fleet.Telemetry;
using Iot.Gateway.Configuration;
using Iot.Gateway.Telemetry;
using Iot.Gateway.Virtual.Simulation;
using Iot.Stack;
using Wire = Iot.Contract.Channel;

namespace Iot.Grafana.Tests;

/// <summary>
/// The records the virtual gateways of a scenario file would deliver, minute by minute, computed straight from
/// the scenario's timelines instead of running the firmware: levels (with the scenario's jitter), sensor faults
/// (bit 2, meter channels left out), clock loss (1), tamper (16), outages (delivered late: 32), reboots (first
/// record after a boot: 4, after a power cut also 64). Each gateway is bound to site S-{device}, as
/// FleetRegistration binds them.
/// </summary>
internal static class DemoReadings
{
    public static string ScenarioFile(string name) => Path.Combine(RepositoryPaths.Root(), "firmware", "Gateway.Virtual", "Scenarios", name);

    /// <summary>The scenario's records, placed so that its last minute ends at endUtc (Unix seconds, whole minute).</summary>
    public static IEnumerable<TelemetryRecord> Of(Scenario scenario, long endUtc)
    {
        var start = endUtc - scenario.DurationSeconds / 60 * 60;
        foreach (var device in scenario.Devices)
        {
            foreach (var record in Of(device, start, scenario.DurationSeconds / 60)) yield return record;
        }
    }

    private static IEnumerable<TelemetryRecord> Of(DeviceScenario device, long startUtc, long minutes)
    {
        var random = new Random(StableHash(device.Id));
        var onAmps = new CurrentSensorSettings().OnAmps;
        uint seq = 0;
        var booting = true;
        var powerCut = false;
        var reboot = 0;
        for (long minute = 0; minute < minutes; minute++)
        {
            long s = minute * 60, end = s + 60;
            // Off for the whole minute: no record; the next one is the first of a new boot.
            while (reboot < device.Reboots.Count && device.Reboots[reboot].At < end)
            {
                var r = device.Reboots[reboot++];
                booting = true;
                powerCut |= !r.Clean;
            }
            var quality = 0;
            if (booting) quality |= QualityBits.WarmUp | (powerCut ? QualityBits.PowerInterruption : 0);
            booting = powerCut = false;
            if (Overlaps(device.ClockLoss, s, end)) quality |= QualityBits.ClockUnsynced;
            if (Overlaps(device.Tamper, s, end)) quality |= QualityBits.Tamper;
            if (Overlaps(device.Outages, s, end)) quality |= QualityBits.Backfill;
            var silent = Overlaps(device.Faults, s, end);
            if (silent) quality |= QualityBits.SensorFault;

            var mid = s + 30;
            double Level(int channel, double fallback) => device.LevelAt(channel, mid) ?? fallback;
            double Jitter(double value) => value * (1 + (random.NextDouble() * 2 - 1) * device.Jitter);
            var m = new Dictionary<string, double>();
            switch (device.Site)
            {
                case SiteKind.Noise when !silent:
                    var laeq = Jitter(Level(Wire.Laeq, 50));
                    m[Channels.Laeq] = Round(laeq);
                    m[Channels.Lafmax] = Round(laeq + 6 + random.NextDouble() * 4);
                    m[Channels.L10] = Round(laeq + 2);
                    m[Channels.L90] = Round(laeq - 5);
                    break;
                case SiteKind.Dust when !silent:
                    var pm10 = Level(Wire.Pm10, 40);
                    m[Channels.Pm10] = Round(Jitter(pm10));
                    m[Wire.Name(Wire.Pm25)] = Round(Jitter(Level(Wire.Pm25, 0.6 * pm10)));
                    if (!device.Pms5003)
                    {
                        m[Wire.Name(Wire.Tsp)] = Round(Jitter(Level(Wire.Tsp, 1.5 * pm10)));
                        m[Wire.Name(Wire.Temp)] = Round(Jitter(Level(Wire.Temp, 20)));
                        m[Channels.Rh] = Round(Jitter(Level(Wire.Rh, 50)));
                    }
                    break;
                case SiteKind.Fume:
                    if (!silent) m[Channels.Fume] = Round(Jitter(Level(Wire.Fume, 0.3)));
                    var fanA = Level(Wire.FanA, 0);
                    var purA = Level(Wire.PurA, 0);
                    m[Channels.Fan] = fanA >= onAmps ? 1 : 0;
                    m[Channels.Pur] = purA >= onAmps ? 1 : 0;
                    m[Wire.Name(Wire.FanA)] = Round(fanA == 0 ? 0 : Jitter(fanA));
                    m[Wire.Name(Wire.PurA)] = Round(purA == 0 ? 0 : Jitter(purA));
                    break;
            }
            yield return new TelemetryRecord(device.Id, ++seq, startUtc + s, 60, quality, m) { Site = "S-" + device.Id };
        }
    }

    private static bool Overlaps(List<Span> spans, long from, long to) => spans.Any(x => x.From < to && x.From + x.For > from);

    private static double Round(double value) => Math.Round(value, 2);

    private static int StableHash(string text)
    {
        uint h = 2166136261;
        foreach (var c in text) h = (h ^ c) * 16777619;
        return (int)(h & int.MaxValue);
    }
}
