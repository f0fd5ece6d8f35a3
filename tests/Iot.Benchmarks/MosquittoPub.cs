using System.Diagnostics;

namespace Iot.Benchmarks;

/// <summary>Mosquitto's own publisher, the baseline the .NET publishers are measured against.</summary>
internal static class MosquittoPub
{
    /// <summary>Times `mosquitto_pub --repeat` sending <paramref name="count"/> QoS 1 copies of the payload; it exits after
    /// the last PUBACK. Not `-l` (one message per line): that mode loses messages on large runs (shared/facts.md).</summary>
    public static TimeSpan Publish(int port, string topic, byte[] payload, int count)
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(file, payload);
            var info = new ProcessStartInfo("mosquitto_pub") { RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "-h", "127.0.0.1", "-p", port.ToString(), "-i", "bench-mosquitto-pub", "-q", "1", "-t", topic, "-f", file, "--repeat", count.ToString() })
                info.ArgumentList.Add(a);
            var watch = Stopwatch.StartNew();
            using var process = Process.Start(info)!;
            var errors = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                process.Kill();
                throw new TimeoutException($"mosquitto_pub did not send {count} messages in 5 minutes");
            }
            watch.Stop();
            if (process.ExitCode != 0) throw new InvalidOperationException($"mosquitto_pub failed ({process.ExitCode}): {errors.Result}");
            return watch.Elapsed;
        }
        finally
        {
            File.Delete(file);
        }
    }
}
