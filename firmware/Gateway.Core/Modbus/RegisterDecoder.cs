using System;

namespace Iot.Gateway.Modbus
{
    /// <summary>Turns raw registers into numbers. Float32 is decoded arithmetically (nanoFramework has no SingleToInt32Bits).</summary>
    public static class RegisterDecoder
    {
        /// <summary>
        /// Decodes the value at registers[index] (and index+1 for 32-bit types).
        /// Returns false for NaN or infinite floats, which meters use to signal "no reading".
        /// </summary>
        public static bool TryDecode(ushort[] registers, int index, RegisterDataType type, WordOrder order, out double value)
        {
            value = 0;
            switch (type)
            {
                case RegisterDataType.U16:
                    value = registers[index];
                    return true;
                case RegisterDataType.S16:
                    value = (short)registers[index];
                    return true;
            }

            uint first = registers[index];
            uint second = registers[index + 1];
            uint bits = order == WordOrder.HighFirst ? (first << 16) | second : (second << 16) | first;
            switch (type)
            {
                case RegisterDataType.U32:
                    value = bits;
                    return true;
                case RegisterDataType.S32:
                    value = (int)bits;
                    return true;
                default:
                    return TryFloatFromBits(bits, out value);
            }
        }

        /// <summary>IEEE-754 single from its bit pattern; false for NaN and infinities.</summary>
        public static bool TryFloatFromBits(uint bits, out double value)
        {
            int exponent = (int)((bits >> 23) & 0xFF);
            uint mantissa = bits & 0x7FFFFF;
            bool negative = (bits & 0x80000000) != 0;
            value = 0;
            if (exponent == 0xFF) return false;

            double magnitude = exponent == 0
                ? mantissa * Math.Pow(2, -149)
                : (mantissa + 8388608.0) * Math.Pow(2, exponent - 150);
            value = negative ? -magnitude : magnitude;
            return true;
        }
    }
}
