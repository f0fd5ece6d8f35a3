using Iot.Gateway.Hardware;

namespace Iot.Firmware.Tests.Fakes;

/// <summary>
/// Firmware slots in RAM with the semantics a real slot store and boot loader give: Activate and Revert only
/// take effect at the next Boot (the test's "reboot"), which also counts boots on trial.
/// </summary>
public sealed class FakeFirmwareSlots(string factoryVersion = "1.4.2") : IFirmwareSlots
{
    private readonly List<byte> _staging = new(64 * 1024); // sized up front: the heap-budget test measures the runtime, not this list
    private string? _nextVersion;
    private bool _nextTrial;
    private bool _reverting;

    public string RunningVersion { get; private set; } = factoryVersion;
    public string? PreviousVersion { get; private set; }
    public bool InTrial { get; private set; }
    public int TrialBoots { get; private set; }
    public int StagingCapacity { get; set; } = 1 << 20;
    public int StagedLength => _staging.Count;
    public List<string> Calls { get; } = [];
    public byte[] Staged => [.. _staging];

    public void EraseStaging()
    {
        Calls.Add("erase");
        _staging.Clear();
    }

    public void WriteStaging(byte[] buffer, int offset, int count)
    {
        if (_staging.Count + count > StagingCapacity) throw new InvalidOperationException("staging full");
        _staging.AddRange(buffer.AsSpan(offset, count).ToArray());
    }

    public void ReadStaging(int position, byte[] buffer, int offset, int count) => _staging.CopyTo(position, buffer, offset, count);

    /// <summary>Flips bits in the staged image (flash corruption or an attacker between download and install).</summary>
    public void CorruptStaging(int position) => _staging[position] ^= 0xFF;

    public void Activate(string version)
    {
        Calls.Add("activate " + version);
        _nextVersion = version;
        _nextTrial = true;
        _reverting = false;
    }

    public void Confirm()
    {
        Calls.Add("confirm");
        InTrial = false;
        TrialBoots = 0;
    }

    public void Revert()
    {
        Calls.Add("revert");
        _nextVersion = PreviousVersion;
        _nextTrial = false;
        _reverting = true;
    }

    /// <summary>The device restarts: the boot loader applies a pending switch and counts a boot on trial.</summary>
    public void Boot()
    {
        if (_nextVersion is not null)
        {
            PreviousVersion = _reverting ? null : RunningVersion;
            RunningVersion = _nextVersion;
            InTrial = _nextTrial;
            TrialBoots = 0;
            _nextVersion = null;
        }
        if (InTrial) TrialBoots++;
    }
}

/// <summary>An HTTP server in RAM answering ranged reads; it can fail at a position, once, to cut a download.</summary>
public sealed class FakeFirmwareDownload : IFirmwareDownload
{
    private readonly Dictionary<string, byte[]> _files = [];
    public List<(int Position, int Count, int Result)> Requests { get; } = [];
    /// <summary>Fails the first request that starts at or after this position (then serves normally).</summary>
    public int? FailOnceAt { get; set; }
    /// <summary>Every request fails (server down).</summary>
    public bool Down { get; set; }
    /// <summary>Largest answer to one request (a server sending less than asked).</summary>
    public int MaxAnswer { get; set; } = int.MaxValue;
    public int Closes { get; private set; }

    public void Serve(string url, byte[] content) => _files[url] = content;

    public long BytesServed => Requests.Where(r => r.Result > 0).Sum(r => (long)r.Result);

    public int Read(string url, int position, byte[] buffer, int offset, int count)
    {
        int result;
        if (Down || !_files.TryGetValue(url, out var file)) result = DownloadResult.Failed;
        else if (FailOnceAt is int at && position >= at)
        {
            FailOnceAt = null;
            result = DownloadResult.Failed;
        }
        else if (position >= file.Length) result = DownloadResult.EndOfFile;
        else
        {
            result = Math.Min(Math.Min(count, MaxAnswer), file.Length - position);
            Array.Copy(file, position, buffer, offset, result);
        }
        Requests.Add((position, count, result));
        return result;
    }

    public void Close() => Closes++;
}
