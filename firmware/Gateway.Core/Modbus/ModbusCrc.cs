namespace Iot.Gateway.Modbus
{
    /// <summary>CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF); sent low byte first.</summary>
    public static class ModbusCrc
    {
        /// <summary>CRC of buffer[offset..offset+count).</summary>
        public static ushort Compute(byte[] buffer, int offset, int count)
        {
            int crc = 0xFFFF;
            int end = offset + count;
            for (int i = offset; i < end; i++)
            {
                crc ^= buffer[i];
                for (int bit = 0; bit < 8; bit++)
                {
                    crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xA001 : crc >> 1;
                }
            }
            return (ushort)crc;
        }

        /// <summary>Appends the CRC of buffer[0..length) at buffer[length], buffer[length+1]; returns the new length.</summary>
        public static int Append(byte[] buffer, int length)
        {
            ushort crc = Compute(buffer, 0, length);
            buffer[length] = (byte)(crc & 0xFF);
            buffer[length + 1] = (byte)(crc >> 8);
            return length + 2;
        }

        /// <summary>True when the last two bytes of buffer[0..length) are the CRC of the bytes before them.</summary>
        public static bool IsValid(byte[] buffer, int length)
        {
            if (length < 4) return false;
            ushort crc = Compute(buffer, 0, length - 2);
            return buffer[length - 2] == (byte)(crc & 0xFF) && buffer[length - 1] == (byte)(crc >> 8);
        }
    }
}
