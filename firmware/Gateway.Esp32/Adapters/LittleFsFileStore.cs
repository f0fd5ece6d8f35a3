using System;
using System.IO;
using Iot.Gateway.Hardware;

namespace Iot.Gateway.Esp32.Adapters
{
    /// <summary>
    /// IFileStore on the internal drive (I:\, littlefs through esp_littlefs). littlefs commits a file only when it is
    /// closed or synced, and nanoFramework's Flush does not sync, so every call opens the file, does its work and
    /// closes it (the using block): the call's writes are committed when it returns, or not at all.
    /// </summary>
    public sealed class LittleFsFileStore : IFileStore
    {
        private readonly string _folder;

        /// <summary>Keeps the files in folder (for example "I:\\"), which must exist.</summary>
        public LittleFsFileStore(string folder)
        {
            _folder = folder;
        }

        /// <inheritdoc />
        public int Length(string name)
        {
            string path = _folder + name;
            if (!File.Exists(path)) return -1;
            using (var file = new FileStream(path, FileMode.Open)) return (int)file.Length;
        }

        /// <inheritdoc />
        public int Read(string name, int position, byte[] buffer, int offset, int count)
        {
            string path = _folder + name;
            if (!File.Exists(path)) return 0;
            using (var file = new FileStream(path, FileMode.Open))
            {
                if (position >= file.Length) return 0;
                file.Seek(position, SeekOrigin.Begin);
                int done = 0;
                while (done < count)
                {
                    int n = file.Read(buffer, offset + done, count - done);
                    if (n <= 0) break;
                    done += n;
                }
                return done;
            }
        }

        /// <inheritdoc />
        public void Write(string name, int position, byte[] buffer, int offset, int count)
        {
            using (var file = new FileStream(_folder + name, FileMode.OpenOrCreate))
            {
                if (position > file.Length) throw new ArgumentOutOfRangeException("position");
                file.Seek(position, SeekOrigin.Begin);
                file.Write(buffer, offset, count);
            }
        }

        /// <inheritdoc />
        public void Append(string name, byte[] buffer, int offset, int count)
        {
            using (var file = new FileStream(_folder + name, FileMode.Append))
            {
                file.Write(buffer, offset, count);
            }
        }

        /// <inheritdoc />
        public void Delete(string name)
        {
            string path = _folder + name;
            if (File.Exists(path)) File.Delete(path);
        }
    }
}
