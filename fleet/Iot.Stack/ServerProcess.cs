using System.Diagnostics;
using System.Text;

namespace Iot.Stack;

/// <summary>
/// A server binary run as a child process. A small shell guard kills the server when this
/// process dies, so a crashed test run or a killed `./iot up` never leaves servers behind.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly object _logLock = new();
    private StreamWriter? _fullLog;

    private ServerProcess(Process process) => _process = process;

    /// <summary>Set to a folder, every server's whole output is also written to `name.log` there (for benchmarks and
    /// diagnosis: <see cref="RecentOutput"/> keeps only the last lines).</summary>
    public const string LogFolderVariable = "IOT_SERVER_LOGS";

    /// <summary>Name shown in errors and logs.</summary>
    public required string Name { get; init; }

    /// <summary>Process id of the guard shell (the server runs as its child).</summary>
    public int Id => _process.Id;

    /// <summary>True while the server process runs.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>The server's exit status once it has ended (128 + n when signal n killed it), else null.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>The last lines the server wrote to stdout and stderr.</summary>
    public string RecentOutput
    {
        get { lock (_logLock) return _log.ToString(); }
    }

    /// <summary>Starts <paramref name="executable"/> with <paramref name="arguments"/>.</summary>
    /// <param name="removeWhenDone">A temp folder the guard deletes once the server has ended without being stopped on
    /// purpose (its owner died), since the owner cannot any more.</param>
    public static ServerProcess Start(string name, string executable, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null, string? removeWhenDone = null)
    {
        var binary = Which(executable) ?? throw new InvalidOperationException(
            $"{executable} is not installed. Run ./iot test or ./iot up once; they install it with apt-get.");
        var quoted = string.Join(' ', arguments.Select(Quote));
        // The guard: start the server, then poll our pid; when we are gone, stop the server.
        var script = $"{Quote(binary)} {quoted} & child=$!; " +
                     $"trap 'kill -TERM $child 2>/dev/null; wait $child; exit 0' TERM INT; " +
                     $"while kill -0 {Environment.ProcessId} 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.5; done; " +
                     "kill -TERM $child 2>/dev/null; wait $child" +
                     (removeWhenDone is null ? "" : $"; kill -0 {Environment.ProcessId} 2>/dev/null || rm -rf -- {Quote(removeWhenDone)}");
        var info = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var server = new ServerProcess(process) { Name = name };
        if (Environment.GetEnvironmentVariable(LogFolderVariable) is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            server._fullLog = new StreamWriter(Path.Combine(folder, $"{string.Concat(name.Split(Path.GetInvalidFileNameChars()))}.log"), append: true) { AutoFlush = true };
        }
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>The server's own process id (the guard's child that is not its `sleep`), for reading its CPU and memory
    /// from /proc; null when it is not running.</summary>
    public int? ServerId
    {
        get
        {
            try
            {
                foreach (var child in File.ReadAllText($"/proc/{Id}/task/{Id}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    if (File.ReadAllText($"/proc/{child}/comm").Trim() != "sleep") return int.Parse(child, System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
            }
            return null;
        }
    }

    /// <summary>Sends a signal to the server itself (not the guard), e.g. HUP to reload.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("/usr/bin/pkill", $"-{signal} -P {Id}") { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    /// <summary>Stops the server gracefully, killing it if it does not stop in time.</summary>
    public void Stop(TimeSpan grace)
    {
        if (_process.HasExited) return;
        Signal("TERM");
        if (!_process.WaitForExit(grace))
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    /// <summary>Kills the server at once, as a power cut or crash would.</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        Signal("KILL");
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        Stop(TimeSpan.FromSeconds(5));
        _process.Dispose();
        lock (_logLock)
        {
            _fullLog?.Dispose();
            _fullLog = null;
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_logLock)
        {
            if (_log.Length > 16_000) _log.Remove(0, _log.Length - 8_000);
            _log.AppendLine(line);
            _fullLog?.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {line}");
        }
    }

    /// <summary>Full path of an executable on PATH or in the usual sbin folders.</summary>
    public static string? Which(string executable)
    {
        if (Path.IsPathRooted(executable)) return File.Exists(executable) ? executable : null;
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "") + ":/usr/sbin:/sbin:/usr/local/sbin";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, executable))
            .FirstOrDefault(File.Exists);
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''") + "'";
}
