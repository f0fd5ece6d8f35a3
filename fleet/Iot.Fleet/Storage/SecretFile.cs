using Iot.Fleet.Api;

namespace Iot.Fleet.Storage;

/// <summary>A secret the fleet made and must hand to a person once (a generated admin token or first password): written
/// to a file only its owner can read, in the fleet's data folder, never to the log.</summary>
public static class SecretFile
{
    /// <summary>Writes <paramref name="secret"/> to <paramref name="path"/> with mode 0600 (set before the secret is
    /// written, so it is never readable by others); returns the full path.</summary>
    public static string Write(string path, string secret) =>
        AtomicFile.Write(path, secret + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
}
