namespace Iot.Gateway.Hardware
{
    /// <summary>
    /// Files on the gateway's flash file system (littlefs on the ESP32's I:\ drive). littlefs commits a file only
    /// when it is synced or closed, so every call opens the file, does its work and closes it: what a call wrote is
    /// committed when it returns, and a power cut during the call leaves the file as it was before the call.
    /// A name is a plain file name; the store decides the folder.
    /// </summary>
    public interface IFileStore
    {
        /// <summary>Committed length in bytes, or -1 when the file does not exist.</summary>
        int Length(string name);

        /// <summary>Copies up to count bytes from position into buffer; returns how many (0 past the end or for a missing file).</summary>
        int Read(string name, int position, byte[] buffer, int offset, int count);

        /// <summary>Writes count bytes at position (at most the file's length; a missing file is created) and commits.</summary>
        void Write(string name, int position, byte[] buffer, int offset, int count);

        /// <summary>Appends count bytes at the end (a missing file is created) and commits.</summary>
        void Append(string name, byte[] buffer, int offset, int count);

        /// <summary>Removes the file; nothing happens when it does not exist.</summary>
        void Delete(string name);
    }
}
