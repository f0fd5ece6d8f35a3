namespace Iot.Benchmarks;

/// <summary>CPU time used by each program on the machine between two snapshots (from /proc), so a
/// benchmark can say where the two cores went: publisher, broker, fleet, InfluxDB.</summary>
internal sealed class CpuShare
{
    private readonly Dictionary<int, (string Name, long Ticks)> _start;

    private CpuShare(Dictionary<int, (string Name, long Ticks)> start) => _start = start;

    public static CpuShare Start() => new(Snapshot());

    /// <summary>Seconds of CPU per program name since <see cref="Start"/>, largest first.</summary>
    public IReadOnlyList<(string Name, double Seconds)> Stop()
    {
        var ticksPerSecond = 100.0; // USER_HZ on Linux
        return Snapshot()
            .Select(p => (p.Value.Name, Ticks: p.Value.Ticks - (_start.TryGetValue(p.Key, out var s) && s.Name == p.Value.Name ? s.Ticks : 0)))
            .GroupBy(p => p.Name)
            .Select(g => (Name: g.Key, Seconds: g.Sum(p => p.Ticks) / ticksPerSecond))
            .Where(p => p.Seconds >= 0.05)
            .OrderByDescending(p => p.Seconds)
            .ToList();
    }

    /// <summary>
    /// Waits until the process spends under 5 % of a core for <paramref name="quietSeconds"/> seconds in a row (at most
    /// <paramref name="limit"/>): after a warm-up the runtime goes on compiling hot methods again with their profiles
    /// (tiered compilation) in the background, after a bulk load InfluxDB compacts it, and a measurement that starts
    /// sooner counts some of that as the work measured. Returns the wait.
    /// </summary>
    public static async Task<TimeSpan> Settle(int pid, TimeSpan limit, int quietSeconds = 1)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var before = Ticks(pid);
        var quiet = 0;
        while (watch.Elapsed < limit && quiet < quietSeconds)
        {
            await Task.Delay(1000);
            var now = Ticks(pid);
            quiet = now - before < 5 ? quiet + 1 : 0; // 5 of 100 ticks a second
            before = now;
        }
        return watch.Elapsed;
    }

    /// <summary>CPU ticks (utime + stime, 100 a second) the process has used; an IOException once it has ended.</summary>
    public static long Ticks(int pid) => TicksOf(File.ReadAllText($"/proc/{pid}/stat"));

    /// <summary>utime + stime from a /proc/&lt;pid&gt;/stat line: comm is in parentheses and may hold spaces, so the numbers
    /// are counted from the last ')'.</summary>
    private static long TicksOf(string stat)
    {
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>CPU ticks of the .NET runtime's background compiler in <paramref name="pid"/>, per thread: tiered compilation
    /// recompiles hot methods on its own thread (".NET Tiered Com"), which ends after a few idle seconds and is started
    /// anew, so a window's compiling is the ticks of the threads at its end less those they had at its start.</summary>
    public static Dictionary<int, long> CompilerTicks(int pid)
    {
        var ticks = new Dictionary<int, long>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
                try
                {
                    if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') != ".NET Tiered Com") continue;
                    ticks[int.Parse(Path.GetFileName(task), System.Globalization.CultureInfo.InvariantCulture)] = TicksOf(File.ReadAllText(Path.Combine(task, "stat")));
                }
                catch (IOException) { } // the thread ended meanwhile
        }
        catch (DirectoryNotFoundException) { } // the process ended
        return ticks;
    }

    /// <summary>Seconds the runtime's background compiler used between two <see cref="CompilerTicks"/> readings.</summary>
    public static double CompilerSeconds(Dictionary<int, long> start, Dictionary<int, long> end) =>
        end.Sum(t => t.Value - start.GetValueOrDefault(t.Key)) / 100.0;

    /// <summary>"Iot.Fleet" for `dotnet Iot.Fleet.dll`: every .NET program is called dotnet otherwise.</summary>
    private static string? DotnetApp(string dir)
    {
        var args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
        var dll = args.FirstOrDefault(a => a.EndsWith(".dll", StringComparison.Ordinal));
        return dll is null ? null : Path.GetFileNameWithoutExtension(dll);
    }

    private static Dictionary<int, (string Name, long Ticks)> Snapshot()
    {
        var result = new Dictionary<int, (string Name, long Ticks)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var name = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
                if (name == "dotnet") name = DotnetApp(dir) ?? name;
                result[pid] = (name, TicksOf(stat));
            }
            catch (IOException) { } // the process ended meanwhile
            catch (UnauthorizedAccessException) { }
        }
        return result;
    }
}
