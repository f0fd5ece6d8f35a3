using System.Diagnostics;

namespace Iot.Benchmarks;

/// <summary>Mosquitto's own subscriber, the baseline MQTTnet's subscriber is measured against.</summary>
internal static class MosquittoSub
{
    /// <summary>Creates a persistent QoS 1 session subscribed to <paramref name="topic"/>, then leaves.</summary>
    public static void Subscribe(int port, string clientId, string topic) =>
        Run(port, ["-c", "-i", clientId, "-q", "1", "-t", topic, "-E"], TimeSpan.FromSeconds(10));

    /// <summary>Reconnects the session and times how long draining <paramref name="count"/> queued messages takes.</summary>
    public static TimeSpan Drain(int port, string clientId, string topic, int count)
    {
        var watch = Stopwatch.StartNew();
        Run(port, ["-c", "-i", clientId, "-q", "1", "-t", topic, "-C", count.ToString()], TimeSpan.FromMinutes(5));
        return watch.Elapsed;
    }

    private static void Run(int port, string[] args, TimeSpan timeout)
    {
        // Payloads go straight to /dev/null: through a pipe to us, mosquitto_sub runs at half speed.
        var info = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec mosquitto_sub \"$@\" > /dev/null");
        info.ArgumentList.Add("mosquitto_sub");
        foreach (var a in new[] { "-h", "127.0.0.1", "-p", port.ToString() }.Concat(args)) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill();
            throw new TimeoutException($"mosquitto_sub {string.Join(' ', args)} did not finish in {timeout}");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"mosquitto_sub failed ({process.ExitCode}): {errors.Result}");
    }
}
