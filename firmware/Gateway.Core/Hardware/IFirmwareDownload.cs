namespace Iot.Gateway.Hardware
{
    /// <summary>
    /// Ranged reads of a firmware bundle from its URL (HTTP Range requests), polled from the main loop: a read may
    /// start a request and return 0 until its bytes are there. Reading at the offset already staged is what
    /// makes an interrupted download resume where it stopped.
    /// </summary>
    public interface IFirmwareDownload
    {
        /// <summary>
        /// Copies bytes of the file at url, starting at position, into buffer[offset..offset+count). Returns the
        /// number of bytes copied (1..count), DownloadResult.Waiting while the request is still under way,
        /// DownloadResult.Failed when it failed (network, HTTP error: try again later), or DownloadResult.EndOfFile
        /// when the file has no byte at position.
        /// </summary>
        int Read(string url, int position, byte[] buffer, int offset, int count);

        /// <summary>Drops any request under way and its connection (the update was cancelled or finished).</summary>
        void Close();
    }

    /// <summary>What IFirmwareDownload.Read returns besides a byte count.</summary>
    public static class DownloadResult
    {
        /// <summary>No bytes yet; call again on a later tick.</summary>
        public const int Waiting = 0;
        /// <summary>The request failed; retry later from the same position.</summary>
        public const int Failed = -1;
        /// <summary>The file ends before the position asked for.</summary>
        public const int EndOfFile = -2;
    }
}
