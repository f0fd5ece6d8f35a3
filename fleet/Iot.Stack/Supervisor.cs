namespace Iot.Stack;

/// <summary>A server the stack watches and starts again when it dies.</summary>
public interface ISupervisedServer
{
    /// <summary>Name on the console.</summary>
    string Name { get; }

    bool IsRunning { get; }

    /// <summary>Exit status once the server has ended, else null.</summary>
    int? ExitCode { get; }

    /// <summary>Starts the server again with its ports, configuration and state, and waits until it serves.</summary>
    void Restart();
}

/// <summary>
/// Watches the stack's servers (`./iot up`): a server that dies is started again after 1 s, doubling to 30 s
/// while restarts fail or it keeps dying, back to 1 s once it has run for a minute. Each step is one line
/// on the console, so a dead fleet never goes unnoticed.
/// </summary>
public sealed class Supervisor : IDisposable
{
    public static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan HealthyAfter = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    private readonly TextWriter _console;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _watches;

    public Supervisor(IEnumerable<ISupervisedServer> servers, TextWriter? console = null)
    {
        _console = console ?? Console.Out;
        _watches = servers.Select(server => Task.Factory.StartNew(() => Watch(server, _stop.Token), _stop.Token,
            TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
    }

    /// <summary>Stops watching (before the servers are stopped on purpose); a restart under way finishes first.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        Task.WaitAll(_watches);
        _stop.Dispose();
    }

    private void Watch(ISupervisedServer server, CancellationToken stop)
    {
        var delay = FirstDelay;
        var upSince = DateTime.UtcNow;
        var restarts = 0;
        while (!stop.WaitHandle.WaitOne(Poll))
        {
            if (server.IsRunning)
            {
                if (DateTime.UtcNow - upSince >= HealthyAfter) delay = FirstDelay;
                continue;
            }
            var diedAt = DateTime.UtcNow;
            Say($"{server.Name} died ({Describe(server.ExitCode)}); restarting in {delay.TotalSeconds:0.#} s");
            while (true)
            {
                if (stop.WaitHandle.WaitOne(delay)) return;
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
                try
                {
                    server.Restart();
                    restarts++;
                    upSince = DateTime.UtcNow;
                    Say($"{server.Name} is back and serving (restart {restarts}, {(upSince - diedAt).TotalSeconds:0.#} s after it died)");
                    break;
                }
                catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
                {
                    Say($"{server.Name} did not restart ({e.Message.Split('\n')[0]}); retrying in {delay.TotalSeconds:0.#} s");
                }
            }
        }
    }

    private void Say(string line)
    {
        lock (_console) _console.WriteLine($"  !!    {DateTime.Now:HH:mm:ss} {line}");
    }

    /// <summary>"exit code 137 (SIGKILL)": a shell reports death by signal n as 128 + n.</summary>
    private static string Describe(int? exitCode)
    {
        if (exitCode is not { } code) return "exit code unknown";
        var signal = code > 128 ? (code - 128) switch
        {
            1 => "SIGHUP", 2 => "SIGINT", 6 => "SIGABRT", 9 => "SIGKILL", 11 => "SIGSEGV", 15 => "SIGTERM",
            var n => $"signal {n}",
        } : null;
        return signal is null ? $"exit code {code}" : $"exit code {code}, {signal}";
    }
}
