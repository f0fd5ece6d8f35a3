namespace Iot.Stack;

/// <summary>Files that hold the stack's secrets (the admin token, the first admin password, endpoints.json): readable
/// by their owner only (mode 0600).</summary>
public static class PrivateFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Temp file and rename, so a reader never sees half of it; the mode is set before anything is written.</summary>
    public static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".tmp";
        File.Delete(temp);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnly;
        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The secret kept at <paramref name="path"/>, made by <paramref name="make"/> the first time; a file an
    /// older version left readable by others is narrowed to 0600.</summary>
    public static string ReadOrCreate(string path, Func<string> make)
    {
        if (!File.Exists(path)) Write(path, make());
        else if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, OwnerOnly);
        return File.ReadAllText(path).Trim();
    }
}
