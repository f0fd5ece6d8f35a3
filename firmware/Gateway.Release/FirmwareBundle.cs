using System.Buffers.Binary;
using System.Text;

namespace Iot.Gateway.Release;

/// <summary>
/// Packs an application folder (for nanoFramework: the .pe assemblies) into one bundle file the device stages
/// as a whole. Layout, little-endian: "IGB1", file count u16, then per file (in ordinal name order) name length
/// u16, UTF-8 name, length u32, bytes. A single file given to publish is used as the bundle unchanged.
/// </summary>
public static class FirmwareBundle
{
    public static ReadOnlySpan<byte> Magic => "IGB1"u8;

    /// <summary>Writes the bundle of every file directly in folder (not subfolders) to output; reports bytes written.</summary>
    public static void Pack(string folder, string output, Action<long, long>? progress = null)
    {
        var files = Directory.GetFiles(folder).Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new InvalidDataException($"{folder} has no files to bundle");
        if (files.Length > ushort.MaxValue) throw new InvalidDataException($"{folder} has too many files");
        long total = files.Sum(f => new FileInfo(f).Length);
        long done = 0;
        using var target = File.Create(output);
        target.Write(Magic);
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(number, (ushort)files.Length);
        target.Write(number[..2]);
        var buffer = new byte[81920];
        foreach (var file in files)
        {
            byte[] name = Encoding.UTF8.GetBytes(Path.GetFileName(file));
            long length = new FileInfo(file).Length;
            if (length > uint.MaxValue) throw new InvalidDataException($"{file} is too large");
            BinaryPrimitives.WriteUInt16LittleEndian(number, (ushort)name.Length);
            target.Write(number[..2]);
            target.Write(name);
            BinaryPrimitives.WriteUInt32LittleEndian(number, (uint)length);
            target.Write(number);
            using var source = File.OpenRead(file);
            int n;
            while ((n = source.Read(buffer)) > 0)
            {
                target.Write(buffer, 0, n);
                done += n;
                progress?.Invoke(done, total);
            }
        }
    }
}
