using System.Text;

namespace Iot.Fleet.Api;

/// <summary>A secret the fleet made and must hand to a person once (a generated admin token or first password): written
/// to a file only its owner can read, in the fleet's data folder, never to the log.</summary>
public static class SecretFile
{
    /// <summary>Writes <paramref name="secret"/> to <paramref name="path"/> with mode 0600 (set before the secret is
    /// written, so it is never readable by others), through a temp file and a rename; returns the full path.</summary>
    public static string Write(string path, string secret)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        File.Delete(temp);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
        {
            stream.Write(Encoding.UTF8.GetBytes(secret + "\n"));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, full, overwrite: true);
        return full;
    }
}
