namespace Iot.Gateway.Journal
{
    /// <summary>CRC-32 (IEEE 802.3, reflected poly 0xEDB88320), used to detect torn or corrupt journal entries.</summary>
    public static class Crc32
    {
        /// <summary>CRC of buffer[offset..offset+count).</summary>
        public static uint Compute(byte[] buffer, int offset, int count)
        {
            uint crc = 0xFFFFFFFF;
            int end = offset + count;
            for (int i = offset; i < end; i++)
            {
                crc ^= buffer[i];
                for (int bit = 0; bit < 8; bit++)
                {
                    crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
                }
            }
            return ~crc;
        }
    }
}
