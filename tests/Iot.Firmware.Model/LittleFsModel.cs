using Iot.Gateway.Hardware;

namespace Iot.Firmware.Model;

/// <summary>Thrown by LittleFsModel when the power goes off: the operation did not happen, and none after it will.</summary>
public sealed class PowerCutException : Exception
{
    public PowerCutException() : base("power cut") { }
}

/// <summary>
/// littlefs as the gateway's code meets it on the ESP32's I:\ drive (esp_littlefs through nanoFramework's
/// System.IO.FileSystem), reduced to what decides correctness and wear:
/// <list type="bullet">
/// <item>a file's writes become visible only when the file is closed or synced (commit); each IFileStore call is
/// open–write–close, so a call is one commit, and a power cut during it leaves the file as before (copy-on-write);</item>
/// <item>a power cut (CutPowerAfter) drops the operation in progress and stops the device until Restore;</item>
/// <item>wear: a commit of a file larger than InlineBytes rewrites every block from the first one written to the
/// end of the file (a write into the middle, or an append into a partly filled last block, copies that block and
/// all after it: littlefs's CTZ lists are copy-on-write); smaller files live inline in their directory's metadata
/// log. Every commit and delete appends MetadataCommitBytes (plus inline data) to a metadata log, which is compacted,
/// one erase, each time it has taken half a block.</item>
/// </list>
/// Block and inline sizes are esp_littlefs's defaults as nanoFramework configures them (4096-byte blocks, 512-byte
/// cache, so inline files up to 512 bytes). Reads and steady-state writes allocate nothing, so benchmarks can
/// measure the journal's own allocations through it.
/// </summary>
public sealed class LittleFsModel : IFileStore
{
    public const int BlockBytes = 4096;
    public const int InlineBytes = 512;
    public const int MetadataCommitBytes = 48;

    private readonly Dictionary<string, Entry> _files = new(512, StringComparer.Ordinal);
    private readonly Stack<Entry> _spare = new(256);
    private long _operations;
    private long _cutAfter = -1;
    private bool _off;
    private long _metadataLogBytes;

    /// <summary>A model whose first `files` files (of a block each) are made now, so a benchmark's measured runs allocate nothing for them.</summary>
    public LittleFsModel(int files = 0)
    {
        for (int i = 0; i < files; i++) _spare.Push(new Entry());
    }

    /// <summary>Block erases so far: data blocks copied or written, plus metadata compactions.</summary>
    public long Erases => DataErases + MetadataErases;
    public long DataErases { get; private set; }
    public long MetadataErases => _metadataLogBytes / (BlockBytes / 2);
    /// <summary>Committed writes, appends and deletes.</summary>
    public long Commits { get; private set; }
    /// <summary>Mutating operations attempted (the counter CutPowerAfter counts).</summary>
    public long Operations => _operations;
    public bool PoweredOff => _off;

    /// <summary>The power goes off during the operation after the next n (n = 0: the very next one fails).</summary>
    public void CutPowerAfter(long n) => _cutAfter = _operations + n;

    /// <summary>Power back: the device boots on what was committed.</summary>
    public void Restore()
    {
        _off = false;
        _cutAfter = -1;
    }

    /// <summary>Clears the wear counters (for a measured period).</summary>
    public void ResetWear()
    {
        DataErases = 0;
        _metadataLogBytes = 0;
        Commits = 0;
    }

    /// <summary>Names of the committed files.</summary>
    public IReadOnlyCollection<string> Names => _files.Keys;

    /// <summary>Committed bytes of every file together.</summary>
    public long TotalBytes => _files.Values.Sum(f => (long)f.Length);

    public int Length(string name)
    {
        CheckPower();
        return _files.TryGetValue(name, out var f) ? f.Length : -1;
    }

    public int Read(string name, int position, byte[] buffer, int offset, int count)
    {
        CheckPower();
        if (!_files.TryGetValue(name, out var f) || position >= f.Length) return 0;
        int n = Math.Min(count, f.Length - position);
        Array.Copy(f.Bytes, position, buffer, offset, n);
        return n;
    }

    public void Write(string name, int position, byte[] buffer, int offset, int count)
    {
        Mutate();
        int length = _files.TryGetValue(name, out var existing) ? existing.Length : 0;
        if (position < 0 || position > length) throw new IOException($"write at {position} past the end of {name} ({length} bytes)");
        Commit(Open(name), position, buffer, offset, count);
    }

    public void Append(string name, byte[] buffer, int offset, int count)
    {
        Mutate();
        var f = Open(name);
        Commit(f, f.Length, buffer, offset, count);
    }

    public void Delete(string name)
    {
        Mutate();
        if (!_files.Remove(name, out var f)) return;
        f.Length = 0;
        _spare.Push(f);
        _metadataLogBytes += MetadataCommitBytes;
        Commits++;
    }

    private Entry Open(string name)
    {
        if (_files.TryGetValue(name, out var f)) return f;
        f = _spare.Count > 0 ? _spare.Pop() : new Entry();
        _files.Add(name, f); // visible only once Commit has run: nothing throws in between
        return f;
    }

    private void Commit(Entry f, int position, byte[] buffer, int offset, int count)
    {
        int end = Math.Max(f.Length, position + count);
        if (end > f.Bytes.Length)
        {
            var bigger = new byte[Math.Max(end, f.Bytes.Length * 2)];
            Array.Copy(f.Bytes, bigger, f.Length);
            f.Bytes = bigger;
        }
        Array.Copy(buffer, offset, f.Bytes, position, count);
        f.Length = end;
        Commits++;
        if (end <= InlineBytes)
        {
            _metadataLogBytes += MetadataCommitBytes + end;
        }
        else
        {
            // Copy-on-write from the block holding the first byte written to the file's last block.
            DataErases += (end - 1) / BlockBytes - position / BlockBytes + 1;
            _metadataLogBytes += MetadataCommitBytes;
        }
    }

    private void Mutate()
    {
        CheckPower();
        if (_cutAfter >= 0 && _operations >= _cutAfter)
        {
            _off = true;
            throw new PowerCutException();
        }
        _operations++;
    }

    private void CheckPower()
    {
        if (_off) throw new PowerCutException();
    }

    private sealed class Entry
    {
        public byte[] Bytes = new byte[BlockBytes];
        public int Length;
    }
}
