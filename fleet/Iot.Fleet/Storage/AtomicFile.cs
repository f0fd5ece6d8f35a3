using System.Text;

namespace Iot.Fleet.Storage;

/// <summary>Files the fleet writes for others to read (the broker's password and ACL files, a secret for a person): through
/// a temp file and a rename in the same folder, so a reader sees the old file or the new one, never half of one; the mode
/// is set when the temp file is created, before anything is written to it.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> with <paramref name="mode"/> (ignored on Windows),
    /// synced to disk; returns the full path.</summary>
    public static string Write(string path, string text, UnixFileMode mode)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        File.Delete(temp);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
        using (var stream = new FileStream(temp, options))
        {
            stream.Write(Encoding.UTF8.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, full, overwrite: true);
        return full;
    }
}
