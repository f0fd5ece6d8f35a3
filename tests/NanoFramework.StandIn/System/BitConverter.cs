// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/BitConverter.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    // No SingleToInt32Bits/Int32BitsToSingle and no span overloads; GetBytes allocates a new array.
    public static class BitConverter
    {
        public static bool IsLittleEndian { get { throw new NotImplementedException(); } }
        public static long DoubleToInt64Bits(double value) { throw new NotImplementedException(); }
        public static double Int64BitsToDouble(long value) { throw new NotImplementedException(); }
        public static byte[] GetBytes(int value) { throw new NotImplementedException(); }
        public static byte[] GetBytes(uint value) { throw new NotImplementedException(); }
        public static byte[] GetBytes(float value) { throw new NotImplementedException(); }
        public static byte[] GetBytes(double value) { throw new NotImplementedException(); }
        public static short ToInt16(byte[] value, int startIndex) { throw new NotImplementedException(); }
        public static int ToInt32(byte[] value, int startIndex) { throw new NotImplementedException(); }
        public static long ToInt64(byte[] value, int startIndex) { throw new NotImplementedException(); }
        public static ushort ToUInt16(byte[] value, int startIndex) { throw new NotImplementedException(); }
        public static uint ToUInt32(byte[] value, int startIndex) { throw new NotImplementedException(); }
        public static float ToSingle(byte[] value, int startIndex) { throw new NotImplementedException(); }
        public static double ToDouble(byte[] value, int startIndex) { throw new NotImplementedException(); }
        public static string ToString(byte[] value) { throw new NotImplementedException(); }
    }
}
