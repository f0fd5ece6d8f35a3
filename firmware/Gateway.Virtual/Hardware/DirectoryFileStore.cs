using Iot.Gateway.Hardware;

namespace Iot.Gateway.Virtual.Hardware;

/// <summary>
/// A virtual gateway's flash file system as a folder of the state directory: each call is one open–write–close, so
/// like littlefs a call's bytes are in the file when it returns and a killed process loses nothing it returned from.
/// (No fsync: the host's own crash is out of scope for a simulation.)
/// </summary>
public sealed class DirectoryFileStore : IFileStore
{
    private readonly string _folder;

    public DirectoryFileStore(string folder)
    {
        _folder = folder;
        Directory.CreateDirectory(folder);
    }

    public int Length(string name)
    {
        var info = new FileInfo(PathOf(name));
        return info.Exists ? (int)info.Length : -1;
    }

    public int Read(string name, int position, byte[] buffer, int offset, int count)
    {
        try
        {
            using var file = File.OpenHandle(PathOf(name), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            int done = 0;
            while (done < count)
            {
                int n = RandomAccess.Read(file, buffer.AsSpan(offset + done, count - done), position + done);
                if (n <= 0) break;
                done += n;
            }
            return done;
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
    }

    public void Write(string name, int position, byte[] buffer, int offset, int count)
    {
        using var file = File.OpenHandle(PathOf(name), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        if (position > RandomAccess.GetLength(file)) throw new ArgumentOutOfRangeException(nameof(position), $"write past the end of {name}");
        RandomAccess.Write(file, buffer.AsSpan(offset, count), position);
    }

    public void Append(string name, byte[] buffer, int offset, int count)
    {
        using var file = new FileStream(PathOf(name), FileMode.Append, FileAccess.Write, FileShare.Read);
        file.Write(buffer, offset, count);
    }

    public void Delete(string name) => File.Delete(PathOf(name));

    private string PathOf(string name) => Path.Combine(_folder, name);
}
